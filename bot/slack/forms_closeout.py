"""The close-out survey's submission, read purely: answers or inline errors."""

from __future__ import annotations

from bot.services.closeout import CloseoutAnswers
from bot.slack import ids
from bot.slack.forms import FormErrors, _parse_choice, _selected, metadata_object
from bot.slack.views.closeout import VALUE_CHOICES

CHOOSE_VALUE = "Choose how valuable it was, 1 to 5."
CHOOSE_AGAIN = "Say whether you'd do it again."
CHOOSE_SWITCH = "Choose yes or no, or leave it empty."
_YES_NO = {ids.CLOSEOUT_YES: True, ids.CLOSEOUT_NO: False}


def parse_closeout_pair(private_metadata: object) -> int | None:
    """The survey's pair id (untrusted: the service checks it is the submitter's)."""
    data = metadata_object(private_metadata)
    pair_id = data.get("pair_id") if data is not None else None
    return pair_id if type(pair_id) is int and pair_id >= 1 else None


def parse_closeout(values: object) -> CloseoutAnswers | FormErrors:
    """Value (1–5) and "again" are required; the role question is optional."""
    errors: FormErrors = {}
    value = _parse_choice(_selected(values, ids.CLOSEOUT_VALUE), [v for v, _ in VALUE_CHOICES])
    if value is None:
        errors[ids.CLOSEOUT_VALUE.block_id] = CHOOSE_VALUE
    again_text = _selected(values, ids.CLOSEOUT_AGAIN)
    again = _YES_NO.get(again_text) if again_text is not None else None
    if again is None:
        errors[ids.CLOSEOUT_AGAIN.block_id] = CHOOSE_AGAIN
    switch_text = _selected(values, ids.CLOSEOUT_SWITCH)
    switch = _YES_NO.get(switch_text) if switch_text is not None else None
    if switch_text is not None and switch is None:
        errors[ids.CLOSEOUT_SWITCH.block_id] = CHOOSE_SWITCH
    if errors or value is None or again is None:
        return errors
    return CloseoutAnswers(value=value, again=again, switch=switch)
