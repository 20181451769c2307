"""Errors that the CLI turns into one clear line and a non-zero exit code."""


class AcuerdosError(Exception):
    """A user-facing error: its message is printed as is, without a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:  # one line, with the hint after a dash
        msg = super().__str__()
        return f"{msg} (hint: {self.hint})" if self.hint else msg


class InputError(AcuerdosError):
    """An input file or argument cannot be used."""


class StaleArtefactError(AcuerdosError):
    """An artefact (index, model) is missing, corrupted or was built from other inputs."""
