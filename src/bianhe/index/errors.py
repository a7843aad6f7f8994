"""The one error type of `bianhe.index`: a specification that cannot be computed."""


class SpecError(ValueError):
    """A method, parameter or input that cannot give a well-defined result.

    `where` names what the problem is about (an indicator column, a tree node, a pairwise
    comparison matrix) so that a caller can point the user at it; the message names it too.
    """

    def __init__(self, where: str, message: str):
        self.where = str(where)
        super().__init__(f"{self.where}: {message}" if self.where else message)
