"""Property tests: what users type is data, never template code."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flowbot.template import compile_template, compile_value

# Text that would be template syntax if it were ever parsed.
template_like = st.lists(
    st.sampled_from(
        ["{{", "}}", "{{{", "{{#each xs}}", "{{/each}}", "{{x}}", "{{JOSA(a,\"이\")}}",
         "{{RAND(1,9)}}", "\\", "~", "{{!", "--}}", "(", "[i]", "가", " ", "\n", "@index"]
    ),
    max_size=12,
).map("".join) | st.text(max_size=40)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=template_like)
def test_user_text_renders_verbatim(text: str) -> None:
    context = {"message": {"text": text}, "params": {"note": text}, "xs": [1, 2]}
    assert compile_template("{{message.text}}").render(context) == text
    assert compile_template("[{{{note}}}]").render(context) == f"[{text}]"
    assert compile_template("{{#with message}}{{text}}{{/with}}").render(context) == text


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(template_like, min_size=1, max_size=3))
def test_user_values_are_not_expanded_in_messages(texts: list[str]) -> None:
    message = compile_value([{"label": "{{xs[i]}}", "payload": "{{note}}"}])
    rendered = message.render({"xs": texts, "params": {"note": texts[0]}})
    assert rendered == [{"label": text, "payload": texts[0]} for text in texts]
