"""The one helper that puts an action's ValidationError on the form that called it."""

from django.core.exceptions import ValidationError


def add_action_errors(form, error: ValidationError) -> None:
    """Show an action's ValidationError on the form: on its field if the form has it."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
