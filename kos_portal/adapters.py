"""allauth adapter: no open sign-up. Accounts come from invitations (clubs.services)."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Staff roles are invitation-only; the invitation view creates the account itself.
        return False
