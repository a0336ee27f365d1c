import { beforeEach, describe, expect, it } from "vitest";
import { editNode, isDirty, mapNode, useStudio } from "./store";
import type { Bot } from "./types";

const bot = (): Bot => ({
  title: "t",
  flows: [
    { id: 1, title: "one", nodes: [{ id: 1, type: "entry", next: [{ nodeId: 2 }] }, { id: 2, type: "response", data: { message: { type: "text", text: "a" } } }] },
    { id: 2, title: "two", nodes: [{ id: 1, type: "entry" }] },
  ],
  preference: { entryFlowId: 1 },
});

const text = () => (useStudio.getState().bot!.flows[0].nodes[1].data!.message as { text: string }).text;
const setText = (value: string, coalesce?: string) =>
  editNode(1, 2, (node) => ({ ...node, data: { message: { type: "text", text: value } } }), coalesce);

describe("the store's history", () => {
  beforeEach(() => useStudio.getState().load("b", bot(), '"r1"'));

  it("undoes and redoes every edit", () => {
    setText("b");
    setText("c");
    expect(text()).toBe("c");
    useStudio.getState().undo();
    expect(text()).toBe("b");
    useStudio.getState().undo();
    expect(text()).toBe("a");
    expect(isDirty(useStudio.getState())).toBe(false);
    useStudio.getState().redo();
    useStudio.getState().redo();
    expect(text()).toBe("c");
    expect(isDirty(useStudio.getState())).toBe(true);
  });

  it("a new edit clears the redo list", () => {
    setText("b");
    useStudio.getState().undo();
    setText("x");
    expect(useStudio.getState().future).toHaveLength(0);
    useStudio.getState().redo();
    expect(text()).toBe("x");
  });

  it("typing in one field is one undo step", () => {
    setText("h", "node:1:2");
    setText("he", "node:1:2");
    setText("hel", "node:1:2");
    expect(useStudio.getState().past).toHaveLength(1);
    useStudio.getState().undo();
    expect(text()).toBe("a");
  });

  it("an edit copies only what it changes", () => {
    const before = useStudio.getState().bot!;
    setText("b");
    const after = useStudio.getState().bot!;
    expect(after.flows[1]).toBe(before.flows[1]);
    expect(after.flows[0].nodes[0]).toBe(before.flows[0].nodes[0]);
    expect(after.flows[0].nodes[1]).not.toBe(before.flows[0].nodes[1]);
  });

  it("an edit that changes nothing is no step", () => {
    useStudio.getState().edit((b) => mapNode(b, 1, 2, (node) => node));
    expect(useStudio.getState().past).toHaveLength(0);
  });

  it("undo bumps the revision so forms reload", () => {
    const revision = useStudio.getState().revision;
    setText("b");
    useStudio.getState().undo();
    expect(useStudio.getState().revision).toBe(revision + 1);
  });
});
