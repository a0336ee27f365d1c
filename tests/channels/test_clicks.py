"""The click codec: what a messenger button carries, and the click it becomes again."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowbot.channels import clicks
from flowbot.engine import GotoTarget

SCOPE = "pokemon/line"


def encode(
    button: dict[str, object], *, limit: int = 300, comes_back: bool = False
) -> tuple[str, dict[str, str]]:
    keys: dict[str, str] = {}
    label = button.get("label")
    shown = label if isinstance(label, str) else ""
    data = clicks.encode_click(
        button,
        limit=limit,
        label_comes_back=comes_back,
        shown_label=shown[:20],
        scope=SCOPE,
        keys=keys,
    )
    return data, keys


def resolve(data: str, keys: dict[str, str], shown: str | None = None) -> clicks.Click:
    """What the server makes of a click: the key's record, or the data itself."""
    click = clicks.decode_click(data, shown)
    if click.key is None:
        return click
    record = clicks.decode_record(keys[click.key])
    assert record is not None
    return record


def test_a_payload_that_fits_is_sent_as_it_is() -> None:
    data, keys = encode({"type": "postback", "label": "Yes", "payload": '{"answer": 1}'})
    assert (data, keys) == ('{"answer": 1}', {})
    assert clicks.decode_click(data) == clicks.Click(payload='{"answer": 1}')


def test_a_long_payload_is_a_key_to_the_whole_record() -> None:
    payload = '{"note": "' + "가" * 980 + '"}'
    data, keys = encode({"type": "postback", "label": "Buy", "payload": payload})
    assert data.startswith("~fb:k:") and len(data) == len("~fb:k:") + clicks.KEY_CHARS
    assert resolve(data, keys) == clicks.Click(text="Buy", payload=payload)


def test_keys_are_the_same_for_the_same_button_and_differ_by_scope() -> None:
    button = {"type": "postback", "label": "Buy", "payload": "x" * 400}
    first, _ = encode(button)
    again, _ = encode(dict(button))
    other = clicks.encode_click(
        button, limit=300, label_comes_back=False, shown_label="Buy", scope="shop/line", keys={}
    )
    assert first == again != other


def test_a_payload_that_looks_like_our_own_forms_is_keyed() -> None:
    for payload in ("~fb:t:Hello", "~fb:k:" + "a" * 22, "~fb:n"):
        data, keys = encode({"type": "postback", "label": "x", "payload": payload})
        assert data.startswith("~fb:k:")
        assert resolve(data, keys).payload == payload


def test_a_cut_label_is_kept_when_the_platform_sends_back_the_shown_one() -> None:
    label = "Tell me more about Bulbasaur"
    data, keys = encode({"type": "postback", "label": label, "payload": "B"}, comes_back=True)
    assert data.startswith("~fb:k:")
    assert resolve(data, keys, shown=label[:20]) == clicks.Click(text=label, payload="B")
    # a label that fits needs nothing: the platform sends it back
    data, keys = encode({"type": "postback", "label": "More", "payload": "B"}, comes_back=True)
    assert (data, keys) == ("B", {})
    assert resolve(data, keys, shown="More") == clicks.Click(text="More", payload="B")


def test_payload_less_and_goto_buttons_carry_their_label() -> None:
    data, keys = encode({"type": "postback", "label": "Menu"})
    assert (data, keys) == ("~fb:t:Menu", {})
    assert resolve(data, keys) == clicks.Click(text="Menu")
    data, keys = encode({"type": "goto", "label": "Start over", "flowId": 1, "nodeId": "4"})
    assert data.startswith("~fb:g:") and keys == {}
    assert resolve(data, keys) == clicks.Click(text="Start over", goto=GotoTarget("1", "4"))
    data, keys = encode({"type": "goto", "label": "L" * 290, "flowId": "main"})
    assert data.startswith("~fb:k:")
    assert resolve(data, keys) == clicks.Click(text="L" * 290, goto=GotoTarget("main", None))


def test_malformed_forms_are_plain_payloads_and_never_fail() -> None:
    for data in ("~fb:g:{not json", "~fb:g:[1]", "~fb:k:short", "~fb:x", "~fb:g:" + "[" * 5000):
        assert clicks.decode_click(data, "shown") == clicks.Click(text="shown", payload=data)
    assert clicks.decode_click("~fb:n") == clicks.Click(noop=True)
    assert clicks.decode_record("not json") is None
    assert clicks.decode_record("[]") is None


def test_a_payload_is_data_never_a_template() -> None:
    payload = "{{params.secret}} {{#each x}}"
    data, keys = encode({"type": "postback", "label": "x", "payload": payload})
    assert resolve(data, keys).payload == payload


buttons = st.one_of(
    st.builds(
        lambda label, payload: {"type": "postback", "label": label, "payload": payload},
        st.text(max_size=300),
        st.one_of(st.none(), st.text(max_size=1000)),
    ),
    st.builds(
        lambda label, flow, node: {"type": "goto", "label": label, "flowId": flow, "nodeId": node},
        st.text(max_size=300),
        st.one_of(st.integers(0, 10**6), st.text(min_size=1, max_size=20).filter(str.strip)),
        st.one_of(st.none(), st.integers(0, 999)),
    ),
)


@given(buttons, st.sampled_from([300, 1000]), st.booleans())
def test_every_button_survives_the_round_trip(
    button: dict[str, object], limit: int, comes_back: bool
) -> None:
    data, keys = encode(button, limit=limit, comes_back=comes_back)
    assert len(data) <= limit
    label = button["label"]
    assert isinstance(label, str)
    click = resolve(data, keys, shown=label[:20] if comes_back else None)
    if button["type"] == "goto":
        node = button["nodeId"]
        assert click.goto == GotoTarget(str(button["flowId"]), None if node is None else str(node))
        assert click.text == label
    else:
        assert click.payload == button["payload"]
        # LINE sends back only the data: a payload sent as it is has no label with it
        sent_as_is = button["payload"] is not None and not data.startswith(clicks.PREFIX)
        assert click.text == (None if sent_as_is and not comes_back else label)
