import { describe, expect, it } from "vitest";
import { countRules, operandFromText, parseWhere, serializeWhere, type Group } from "./conditions";
import { conditionForButton, describeWhere } from "./model";

describe("the condition builder's model", () => {
  it("keeps CLOSER's flat AND shape", () => {
    const where = { "message.payload.pokemon": { exists: true }, "params.age": { gte: 18 } };
    const group = parseWhere(where);
    expect(group.op).toBe("and");
    expect(countRules(group)).toBe(2);
    expect(serializeWhere(group)).toEqual(where);
  });

  it("reads and writes $or groups", () => {
    const where = { $or: [{ message: { regex: "^(yes|y)$" } }, { "message.payload.answer": { equals: "yes" } }] };
    const group = parseWhere(where);
    expect(group.op).toBe("or");
    expect(group.items).toHaveLength(2);
    expect(serializeWhere(group)).toEqual(where);
  });

  it("nests an OR inside an AND", () => {
    const group: Group = {
      kind: "group",
      op: "and",
      items: [
        { kind: "rule", path: "params.level", operator: "gt", value: 3 },
        { kind: "group", op: "or", items: [
          { kind: "rule", path: "message", operator: "equals", value: "a" },
          { kind: "rule", path: "message", operator: "equals", value: "b" },
        ] },
      ],
    };
    const where = serializeWhere(group)!;
    expect(where).toEqual({ "params.level": { gt: 3 }, $or: [{ message: { equals: "a" } }, { message: { equals: "b" } }] });
    expect(serializeWhere(parseWhere(where))).toEqual(where);
  });

  it("two rules on one path in an AND need $and", () => {
    const group: Group = { kind: "group", op: "and", items: [
      { kind: "rule", path: "params.n", operator: "gt", value: 1 },
      { kind: "rule", path: "params.n", operator: "lt", value: 9 },
    ] };
    expect(serializeWhere(group)).toEqual({ $and: [{ "params.n": { gt: 1 } }, { "params.n": { lt: 9 } }] });
  });

  it("no rules: no where", () => {
    expect(serializeWhere(parseWhere(undefined))).toBeUndefined();
    expect(serializeWhere(parseWhere({}))).toBeUndefined();
  });

  it("types operands by operator", () => {
    expect(operandFromText("gte", "18")).toBe(18);
    expect(operandFromText("gte", "{{params.min}}")).toBe("{{params.min}}");
    expect(operandFromText("exists", "false")).toBe(false);
    expect(operandFromText("equals", "200", 100)).toBe(200);
    expect(operandFromText("equals", "200")).toBe("200");
  });

  it("a button's condition is on its payload, or its label", () => {
    expect(conditionForButton({ label: "I choose you!", payload: '{"pokemon": "Bulbasaur"}' })).toEqual({ "message.payload.pokemon": { equals: "Bulbasaur" } });
    expect(conditionForButton({ label: "Yes" })).toEqual({ message: { equals: "Yes" } });
    expect(conditionForButton({ label: "Yes", payload: "YES" })).toEqual({ "message.payload": { equals: "YES" } });
    expect(conditionForButton({ label: "x", payload: '{"order id": 7}' })).toEqual({ 'message.payload["order id"]': { equals: 7 } });
  });

  it("describes a where for an edge label", () => {
    expect(describeWhere({ "message.payload.pokemon": { equals: "Bulbasaur" }, $or: [{ message: { exists: true } }, { "params.x": { lt: 2 } }] })).toBe(
      "payload.pokemon = Bulbasaur AND (message exists OR params.x < 2)",
    );
  });
});
