"""Merging imported flows (flowbot.studio.imports), on the JSON."""

from __future__ import annotations

from typing import Any

from flowbot.studio.imports import merge_flows


def _flow(flow_id: Any, target: Any) -> dict[str, Any]:
    return {
        "id": flow_id,
        "nodes": [
            {"id": 1, "type": "entry", "next": [{"nodeId": 2}]},
            {"id": 2, "type": "flow", "data": {"flowId": target}, "next": []},
        ],
    }


def test_add_renames_colliding_ids_and_the_references_that_follow() -> None:
    bot = {"title": "b", "flows": [_flow(1, 1), _flow("menu", 1)], "preference": {}}
    imported = {"flows": [_flow(1, "menu"), _flow("menu", 1), _flow(7, 7)]}
    merged, report = merge_flows(bot, imported, "add")
    assert report == [
        {"from": 1, "as": 2},
        {"from": "menu", "as": "menu-2"},
        {"from": 7, "as": 7},
    ]
    ids = [flow["id"] for flow in merged["flows"]]
    assert ids == [1, "menu", 2, "menu-2", 7]
    # the imported flows point at each other under their new ids
    assert merged["flows"][2]["nodes"][1]["data"]["flowId"] == "menu-2"
    assert merged["flows"][3]["nodes"][1]["data"]["flowId"] == 2
    # the bot's own flows and the input are untouched
    assert merged["flows"][1]["nodes"][1]["data"]["flowId"] == 1
    assert imported["flows"][0]["id"] == 1
    assert bot["flows"][0] == _flow(1, 1) and len(bot["flows"]) == 2


def test_replace_swaps_in_place_and_adds_the_rest() -> None:
    bot = {"flows": [_flow(1, 1), _flow(2, 2)], "preference": {"entryFlowId": 2}}
    replacement = {**_flow(1, 2), "title": "new"}
    merged, report = merge_flows(bot, {"flows": [replacement, _flow(3, 3)]}, "replace")
    assert report == [{"from": 1, "as": 1}, {"from": 3, "as": 3}]
    assert [flow.get("title") for flow in merged["flows"]] == ["new", None, None]
    assert [flow["id"] for flow in merged["flows"]] == [1, 2, 3]
    assert merged["preference"] == {"entryFlowId": 2}
    # a lone flow file imports too
    merged, report = merge_flows(bot, _flow(2, 2), "add")
    assert report == [{"from": 2, "as": 3}]
