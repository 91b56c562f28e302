"""What every command raises when its input is wrong: the message names the problem, the exit code is 2."""

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the command's input; the message names it. Exit code 2."""
