from django import template

from bianhe.quality.describe import flag_text as describe

register = template.Library()


@register.filter
def flag_text(flag) -> str:
    return describe(flag)
