"""Password rules (AUTH_PASSWORD_VALIDATORS) whose messages Django does not say in Chinese,
and one rule of our own.

Why Django's own MinimumLengthValidator showed English inside the Chinese pages: Django
5.2 changed its error message id to "This password is too short. It must contain at least
%d character." while its zh_Hans catalogue still translates the old id with
"%(min_length)d", so the lookup misses and the English text comes through. The other
validators' messages and every help text are translated. Our subclass says the message
with a Chinese msgid through the project's catalogue, like every other string here.
"""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule, with an error message our catalogues translate."""

    def get_error_message(self):
        return ngettext(
            "密码太短，至少需要 %(min_length)d 个字符。",
            "密码太短，至少需要 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return ngettext(
            "至少 %(min_length)d 个字符。",
            "至少 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}


class NotCurrentPasswordValidator:
    """The new password must not be the one the user has now.

    For a villager at the forced first change that is the issued password printed on the
    slip, which others may have seen: keeping it would leave it valid for ever.
    """

    def validate(self, password, user=None):
        current = getattr(user, "password", "")
        if user is None or not current or not user.has_usable_password():
            return
        if user.check_password(password):
            raise ValidationError(
                _("新密码不能与当前密码相同，也不能沿用发放的初始密码。"),
                code="password_is_current",
            )

    def get_help_text(self):
        return _("不能与当前密码或发放的初始密码相同。")
