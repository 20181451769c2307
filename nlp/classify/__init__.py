"""Topic classification of acuerdos: labels, models, cross-validation, quantification."""
