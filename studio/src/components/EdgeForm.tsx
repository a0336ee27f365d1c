// The side panel's form of an edge: its target, priority and condition.
import { useEffect } from "react";
import { useForm } from "react-hook-form";
import { splitEdgeId } from "../lib/edits";
import { describeWhere, findNode } from "../lib/model";
import { editNode, useStudio } from "../lib/store";
import type { Edge, Flow, Id, Where } from "../lib/types";
import { ConditionBuilder } from "./ConditionBuilder";
import { t as translateNow, useT } from "../lib/i18n";

export function EdgeForm({ flow, edgeId }: { flow: Flow; edgeId: string }) {
  const revision = useStudio((s) => s.revision);
  const [ownerId, index] = splitEdgeId(edgeId);
  const owner = findNode(flow, ownerId);
  const edge = owner?.next?.[index];
  useT();
  if (!owner || !edge) return <p className="muted">{translateNow("edge.gone")}</p>;
  return <EdgeFormInner key={`${edgeId}:${revision}`} flow={flow} ownerId={owner.id} index={index} edge={edge} />;
}

function EdgeFormInner({ flow, ownerId, index, edge }: { flow: Flow; ownerId: Id; index: number; edge: Edge }) {
  const form = useForm<{ nodeId: string; priority: string }>({
    defaultValues: { nodeId: String(edge.nodeId), priority: edge.priority === undefined || edge.priority === null ? "" : String(edge.priority) },
  });
  const change = (fn: (edge: Edge) => Edge, coalesce = true) =>
    editNode(
      flow.id,
      ownerId,
      (node) => ({ ...node, next: (node.next ?? []).map((e, i) => (i === index ? fn(e) : e)) }),
      coalesce ? `edge:${String(flow.id)}:${String(ownerId)}:${index}` : undefined,
    );
  useEffect(() => {
    const sub = form.watch((values, info) => {
      if (info.name === "nodeId" && values.nodeId !== undefined) {
        const target = findNode(flow, values.nodeId);
        if (target) change((e) => ({ ...e, nodeId: target.id }));
      }
      if (info.name === "priority") {
        const text = (values.priority ?? "").trim();
        change((e) => {
          const next = { ...e };
          if (text === "") delete next.priority;
          else if (/^\d+$/.test(text)) next.priority = Number(text);
          return next;
        });
      }
    });
    return () => sub.unsubscribe();
  });
  const setWhere = (where: Where | undefined) =>
    change((e) => {
      const next = { ...e };
      if (where === undefined) delete next.where;
      else next.where = where;
      return next;
    });
  const owner = findNode(flow, ownerId)!;
  const t = useT();
  const move = (delta: number) =>
    editNode(flow.id, ownerId, (node) => {
      const next = [...(node.next ?? [])];
      const to = index + delta;
      if (to < 0 || to >= next.length) return node;
      [next[index], next[to]] = [next[to], next[index]];
      return { ...node, next };
    });
  return (
    <form className="edge-form" data-testid="edge-form" onSubmit={(e) => e.preventDefault()}>
      <h3>
        {t("edge.title", { n: index + 1, id: String(ownerId), label: owner.label ? `(${owner.label})` : "" })}
      </h3>
      <div className="field">
        <label htmlFor="f-edge-target">{t("edge.target")}</label>
        <select id="f-edge-target" {...form.register("nodeId")}>
          {flow.nodes.map((node) => (
            <option key={String(node.id)} value={String(node.id)}>
              #{String(node.id)} {node.label ?? node.type}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-edge-priority">{t("edge.priority")}</label>
        <input id="f-edge-priority" inputMode="numeric" data-testid="edge-priority" {...form.register("priority", { pattern: /^\d*$/ })} />
        {form.formState.errors.priority ? <div className="field-error">{t("edge.priorityError")}</div> : null}
      </div>
      <div className="field">
        <label>{t("edge.condition")}</label>
        <ConditionBuilder where={edge.where} onChange={setWhere} />
        <div className="muted" data-testid="edge-summary">
          {describeWhere(edge.where) || t("edge.always")}
        </div>
      </div>
      <div className="row">
        <button type="button" onClick={() => move(-1)} disabled={index === 0}>
          {t("edge.earlier")}
        </button>
        <button type="button" onClick={() => move(1)} disabled={index >= (owner.next ?? []).length - 1}>
          {t("edge.later")}
        </button>
      </div>
      <p className="muted">{t("edge.ranking")}</p>
    </form>
  );
}
