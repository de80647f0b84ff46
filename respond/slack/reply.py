"""The Reply button's modal: the draft from the business's reply templates, sent through actions.reply.

Replies themselves (templates, the platforms' reply APIs, exactly-once sending) belong to
respond.actions (`draft_reply`, `reply`). Where the mention's source has no reply API, the modal
says so and links to the mention, to answer by hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from alerts.escape import link, mrkdwn, one_line, truncate
from respond import actions
from respond.config import RespondConfig

REPLY_CALLBACK = "mentionwatch_reply"
REPLY_BLOCK = "reply"
REPLY_INPUT = "text"
TEXT_LIMIT = 3000  # a plain_text_input holds at most 3000 characters


def reply_view(session: Session, settings: RespondConfig, mention_id: int) -> dict[str, Any]:
    """The modal for views.open: a prefilled reply form, or the link to answer by hand."""
    mention = actions.get_mention(session, mention_id)
    title = truncate(one_line(mention.title) or one_line(mention.text) or mention.url, 150)
    about = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{link(mention.url, title, 150)}*"}}
    quote = truncate(one_line(mention.text), 600)
    blocks: list[dict[str, Any]] = [about]
    if quote:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f">{mrkdwn(quote)}"}]})
    view: dict[str, Any] = {"type": "modal", "callback_id": REPLY_CALLBACK, "private_metadata": str(mention_id),
                            "title": {"type": "plain_text", "text": "Reply"},
                            "close": {"type": "plain_text", "text": "Cancel"}}
    draft = actions.draft_reply(session, settings, mention_id)
    if not draft.can_send:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"mentionwatch cannot post a reply to this source, so answer on the site itself: "
            f"{link(mention.url, 'open the mention', 150)}. Then press *Handled* on the alert."
        )}})
        view["close"] = {"type": "plain_text", "text": "Close"}
        return {**view, "blocks": blocks}
    blocks.append({
        "type": "input", "block_id": REPLY_BLOCK,
        "label": {"type": "plain_text", "text": "Your public reply"},
        "element": {"type": "plain_text_input", "action_id": REPLY_INPUT, "multiline": True,
                    "max_length": TEXT_LIMIT, "initial_value": draft.text[:TEXT_LIMIT]},
    })
    return {**view, "submit": {"type": "plain_text", "text": "Send reply"}, "blocks": blocks}


def submitted_text(view: dict[str, Any]) -> str:
    """The reply text from a view_submission's state."""
    values = ((view.get("state") or {}).get("values") or {}).get(REPLY_BLOCK) or {}
    return str((values.get(REPLY_INPUT) or {}).get("value") or "").strip()


def send_reply(session: Session, settings: RespondConfig, mention_id: int, text: str, by: str) -> str:
    """Send the reply through respond.actions; a one-line summary of what happened."""
    return actions.reply(session, settings, mention_id, text, by=by, via="slack").summary


def status_view(message: str) -> dict[str, Any]:
    """The form replaced by a short status: sending, sent, or why it was not sent."""
    return {"type": "modal", "callback_id": f"{REPLY_CALLBACK}_status",
            "title": {"type": "plain_text", "text": "Reply"}, "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(message)}}]}
