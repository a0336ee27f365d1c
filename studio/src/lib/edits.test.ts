import { describe, expect, it } from "vitest";
import { connect, deleteFlow, duplicateFlow, importFlows, mergeEdit, pasteNodes, removeElements } from "./edits";
import type { Bot } from "./types";

const pokemon = (): Bot => ({
  flows: [
    {
      id: 1,
      nodes: [
        { id: 1, type: "entry", next: [{ nodeId: 2 }] },
        {
          id: 2,
          type: "response",
          data: { message: { type: "cards", cards: [
            { title: "Bulbasaur", buttons: [{ type: "postback", label: "I choose you!", payload: '{"pokemon": "Bulbasaur"}' }] },
            { title: "Charmander", buttons: [{ type: "postback", label: "I choose you!", payload: '{"pokemon": "Charmander"}' }] },
          ] } },
          next: [],
        },
        { id: 3, type: "response", data: { message: { type: "text", text: "ok" } } },
        { id: 4, type: "keyboard", data: { buttons: [{ label: "Yes" }] }, next: [] },
      ],
    },
  ],
  preference: { entryFlowId: 1, fallbackFlowId: 1 },
});

describe("canvas edits", () => {
  it("a card button's edge goes on the keyboard node after the message, on the payload", () => {
    const first = connect(pokemon(), 1, "2", "card-1-btn-0", "3");
    const flow = first.bot.flows[0];
    const keyboard = flow.nodes.find((n) => n.type === "keyboard" && n.id !== 4)!;
    expect(first.note).toMatch(/added keyboard node/);
    expect(flow.nodes.find((n) => n.id === 2)!.next).toEqual([{ nodeId: keyboard.id }]);
    expect(keyboard.next).toEqual([{ nodeId: 3, where: { "message.payload.pokemon": { equals: "Charmander" } } }]);
    // a second button reuses that keyboard node
    const second = connect(first.bot, 1, "2", "card-0-btn-0", "3");
    const k2 = second.bot.flows[0].nodes.find((n) => n.id === keyboard.id)!;
    expect(k2.next).toHaveLength(2);
    expect(second.bot.flows[0].nodes).toHaveLength(5);
  });

  it("a quick reply's edge is on its label", () => {
    const { bot } = connect(pokemon(), 1, "4", "qr-0", "3");
    expect(bot.flows[0].nodes[3].next).toEqual([{ nodeId: 3, where: { message: { equals: "Yes" } } }]);
  });

  it("the node handle draws a plain edge", () => {
    const { bot } = connect(pokemon(), 1, "3", "out", "4");
    expect(bot.flows[0].nodes[2].next).toEqual([{ nodeId: 4 }]);
  });

  it("deleting a node removes the edges into it, never the entry", () => {
    const bot = removeElements(pokemon(), 1, ["2", "1"], []);
    expect(bot.flows[0].nodes.map((n) => n.id)).toEqual([1, 3, 4]);
    expect(bot.flows[0].nodes[0].next).toEqual([]);
  });

  it("pasting renumbers and keeps the edges among the copies", () => {
    const source = pokemon();
    const copies = [
      { ...source.flows[0].nodes[2], next: [{ nodeId: 4 }], meta: { design: { x: 10, y: 10 } } },
      source.flows[0].nodes[3],
    ];
    const { bot, ids } = pasteNodes(source, 1, copies);
    expect(ids).toEqual(["5", "6"]);
    expect(bot.flows[0].nodes[4].next).toEqual([{ nodeId: 6 }]);
    expect(bot.flows[0].nodes[4].meta?.design).toEqual({ x: 50, y: 50 });
  });

  it("flows: duplicate, and delete refuses the start flow", () => {
    const { bot, flow } = duplicateFlow(pokemon(), 1);
    expect(flow!.id).toBe(2);
    expect(bot.flows).toHaveLength(2);
    expect(deleteFlow(bot, 1).refused).toMatch(/start flow/);
    expect(deleteFlow(bot, 2).bot.flows).toHaveLength(1);
  });

  it("importing a flow with a taken id renumbers it and its jumps", () => {
    const incoming = { id: 1, title: "in", nodes: [{ id: 1, type: "entry", next: [{ nodeId: 2 }] }, { id: 2, type: "flow", data: { flowId: 1 } }] };
    const { bot, imported } = importFlows(pokemon(), incoming);
    expect(imported).toEqual([{ from: 1, as: 2 }]);
    expect(bot.flows[1].nodes[1].data).toEqual({ flowId: 2 });
  });

  it("form values merge into the data without adding empty fields", () => {
    const original = { message: { type: "text", text: "a", delay: 500 } };
    const merged = mergeEdit(original, { message: { type: "text", text: "b", delay: 500, buttons: [], meta: { custom: "" } } });
    expect(JSON.stringify(merged)).toBe(JSON.stringify({ message: { type: "text", text: "b", delay: 500 } }));
    expect(mergeEdit({ buttons: [] }, { buttons: [] })).toEqual({ buttons: [] });
    expect(mergeEdit({ a: 1, b: 2 }, { b: 3, a: 1 })).toEqual({ a: 1, b: 3 });
    expect(Object.keys(mergeEdit({ a: 1, b: 2 }, { b: 3, a: 1 }) as object)).toEqual(["a", "b"]);
  });
});
