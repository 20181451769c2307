"""acuerdos: NLP toolkit for the INE security-coordination informes."""

__version__ = "0.1.0"
