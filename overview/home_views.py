"""Every role's home page: the to-do list first, then the scope counted (docs/overview.md,
"首页待办"). Moved from `accounts.views` (issue 21): the home reads every app.

The villager's home is the point card, the bank officer's the bank's window."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from . import selectors


@login_required
def home(request):
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    if user.is_villager:
        # Card first: the villager's home is their point card (docs/villagers.md).
        return redirect("card:mine")
    if user.is_bank:  # the bank officer's only page is the bank's window
        return redirect("banking:home")
    context = selectors.home_summary(user=user)
    return render(request, "home.html", context)
