// The side panel's form of a node, one per type of SPEC §2 (react-hook-form).
// Every change goes to the bot at once (one undo step per field while typing);
// values are merged into the node's data, so keys the form does not show stay.
import { createContext, useCallback, useContext, useEffect, useRef } from "react";
import { Controller, FormProvider, useFieldArray, useForm, useFormContext, useWatch } from "react-hook-form";
import { mergeEdit } from "../lib/edits";
import { defaultData, TYPE_LABELS } from "../lib/model";
import { editNode, useStudio } from "../lib/store";
import type { Bot, BotNode, Id, Json, Message } from "../lib/types";
import { TemplateField } from "./TemplateField";

interface Values {
  label: string;
  data: Json;
}

export function NodeForm({ flowId, node }: { flowId: Id; node: BotNode }) {
  const revision = useStudio((s) => s.revision);
  const messageType = (node.data?.message as Message | undefined)?.type ?? "";
  return <NodeFormInner key={`${String(flowId)}:${String(node.id)}:${revision}:${messageType}:${String(node.data?.type ?? "")}`} flowId={flowId} node={node} />;
}

function NodeFormInner({ flowId, node }: { flowId: Id; node: BotNode }) {
  const form = useForm<Values>({ defaultValues: { label: node.label ?? "", data: structuredClone(node.data ?? {}) } });
  const nodeId = node.id;
  const commit = useCallback(() => {
    const values = form.getValues();
    editNode(
      flowId,
      nodeId,
      (current) => {
        const merged = mergeEdit({ label: current.label, data: current.data }, { label: values.label, data: values.data }) as Partial<BotNode>;
        const next: BotNode = { ...current };
        if ("label" in merged) next.label = merged.label;
        if (merged.data !== undefined) next.data = merged.data as Json;
        return JSON.stringify(next) === JSON.stringify(current) ? current : next;
      },
      `node:${String(flowId)}:${String(nodeId)}`,
    );
  }, [flowId, nodeId, form]);
  useEffect(() => {
    const subscription = form.watch((_values, info) => {
      if (info.name || info.type) commit();
    });
    return () => subscription.unsubscribe();
  }, [form, commit]);
  return (
    <FormProvider {...form}>
      <CommitContext.Provider value={commit}>
        <form className="node-form" data-testid="node-form" onSubmit={(e) => e.preventDefault()}>
          <h3>
            {TYPE_LABELS[node.type] ?? node.type} <span className="muted">#{String(node.id)}</span>
          </h3>
          <div className="field">
            <label htmlFor="f-label">Label</label>
            <input id="f-label" data-testid="field-label" {...form.register("label")} />
          </div>
          <TypeFields flowId={flowId} node={node} />
        </form>
      </CommitContext.Provider>
    </FormProvider>
  );
}


const CommitContext = createContext<() => void>(() => {});
/** Field array operations do not always reach `watch`: commit after them too. */
function useCommitSoon() {
  const commit = useContext(CommitContext);
  return useCallback(() => setTimeout(commit, 0), [commit]);
}

function TypeFields({ flowId, node }: { flowId: Id; node: BotNode }) {
  switch (node.type) {
    case "entry":
      return <p className="muted">The start of the flow: it only chooses an edge. Select an edge to edit its condition.</p>;
    case "response":
      return <ResponseFields flowId={flowId} node={node} />;
    case "keyboard":
      return <KeyboardFields />;
    case "flow":
      return <FlowFields />;
    case "parameter":
      return <ParameterFields />;
    case "fetch":
      return <FetchFields />;
    case "sandbox":
      return <SandboxFields />;
    case "back":
      return <BackFields />;
    case "manual":
      return <ManualFields node={node} />;
    default:
      return (
        <>
          <p className="muted">flowbot loads and exports this node unchanged; it does not run it.</p>
          <JsonField name="data" label="data (JSON)" />
        </>
      );
  }
}

const MESSAGE_TYPES = ["text", "media", "cards", "location"];

function defaultMessage(type: string): Message {
  switch (type) {
    case "media":
      return { type: "media", media: { uri: "", contentType: "image" } };
    case "cards":
      return { type: "cards", cards: [{ title: "", description: "", buttons: [] }] };
    case "location":
      return { type: "location", label: "", latitude: 37.5547, longitude: 126.9707 };
    default:
      return { type: "text", text: "" };
  }
}

function ResponseFields({ flowId, node }: { flowId: Id; node: BotNode }) {
  const message = (node.data?.message as Message | undefined) ?? (defaultData("response").message as Message);
  const changeType = (type: string) =>
    editNode(flowId, node.id, (current) => {
      const old = (current.data?.message as Message | undefined) ?? ({} as Message);
      const fresh = defaultMessage(type);
      if (old.delay !== undefined) fresh.delay = old.delay;
      if (old.meta !== undefined) fresh.meta = old.meta;
      return { ...current, data: { ...(current.data ?? {}), message: fresh } };
    });
  return (
    <>
      <div className="field">
        <label htmlFor="f-message-type">Message type</label>
        <select id="f-message-type" data-testid="message-type" value={message.type} onChange={(e) => changeType(e.target.value)}>
          {MESSAGE_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      {message.type === "text" ? (
        <>
          <TemplateField name="data.message.text" label="Text" multiline testId="field-text" />
          <ButtonsEditor name="data.message.buttons" />
        </>
      ) : null}
      {message.type === "media" ? (
        <>
          <TemplateField name="data.message.media.uri" label="Media URI" />
          <Select name="data.message.media.contentType" label="Content type" options={["image", "video", "audio"]} />
        </>
      ) : null}
      {message.type === "cards" ? <CardsEditor /> : null}
      {message.type === "location" ? (
        <>
          <TemplateField name="data.message.label" label="Label" />
          <TemplateField name="data.message.latitude" label="Latitude" />
          <TemplateField name="data.message.longitude" label="Longitude" />
        </>
      ) : null}
      <details>
        <summary>Delay and custom data</summary>
        <TemplateField name="data.message.delay" label="Delay (ms)" />
        <TemplateField name="data.message.meta.custom" label="meta.custom" />
      </details>
    </>
  );
}

function CardsEditor() {
  const { control } = useFormContext();
  const { fields, append, remove, move } = useFieldArray({ control, name: "data.message.cards" });
  const soon = useCommitSoon();
  return (
    <div className="array">
      <div className="array-head">
        Cards ({fields.length}/9){fields.length > 1 ? " — a carousel" : ""}
      </div>
      {fields.map((field, index) => (
        <fieldset key={field.id} className="card-fields" data-testid="card-fields">
          <legend>
            Card {index + 1}
            <button type="button" className="link" disabled={index === 0} onClick={() => (move(index, index - 1), soon())} title="move left">
              ←
            </button>
            <button type="button" className="link" onClick={() => (remove(index), soon())} data-testid="remove-card">
              remove
            </button>
          </legend>
          <TemplateField name={`data.message.cards.${index}.title`} label="Title" testId={`card-${index}-title`} />
          <TemplateField name={`data.message.cards.${index}.description`} label="Description" multiline testId={`card-${index}-description`} />
          <TemplateField name={`data.message.cards.${index}.media.uri`} label="Image URI" testId={`card-${index}-image`} />
          <TemplateField name={`data.message.cards.${index}.uri`} label="Link of the card" testId={`card-${index}-uri`} />
          <ButtonsEditor name={`data.message.cards.${index}.buttons`} testPrefix={`card-${index}-`} />
        </fieldset>
      ))}
      {fields.length < 9 ? (
        <button type="button" data-testid="add-card" onClick={() => (append({ title: "", description: "", buttons: [] }), soon())}>
          + card
        </button>
      ) : null}
    </div>
  );
}

function ButtonsEditor({ name, testPrefix = "" }: { name: string; testPrefix?: string }) {
  const { control, register } = useFormContext();
  const { fields, append, remove } = useFieldArray({ control, name });
  const types = useWatch({ control, name }) as { type?: string }[] | undefined;
  const soon = useCommitSoon();
  return (
    <div className="array">
      <div className="array-head">Buttons ({fields.length}/9)</div>
      {fields.map((field, index) => {
        const type = types?.[index]?.type ?? "postback";
        return (
          <div key={field.id} className="button-fields" data-testid={`${testPrefix}button-fields`}>
            <select {...register(`${name}.${index}.type`)} data-testid={`${testPrefix}button-${index}-type`}>
              <option value="postback">postback</option>
              <option value="link">link</option>
              <option value="goto">goto</option>
            </select>
            <TemplateField name={`${name}.${index}.label`} label="Label" testId={`${testPrefix}button-${index}-label`} />
            {type === "postback" ? <TemplateField name={`${name}.${index}.payload`} label="Payload (JSON or text)" testId={`${testPrefix}button-${index}-payload`} /> : null}
            {type === "link" ? <TemplateField name={`${name}.${index}.uri`} label="URI (http, https, tel, mailto)" testId={`${testPrefix}button-${index}-uri`} /> : null}
            {type === "goto" ? (
              <>
                <FlowIdField name={`${name}.${index}.flowId`} label="Flow" />
                <TemplateField name={`${name}.${index}.nodeId`} label="Node id (optional)" />
              </>
            ) : null}
            <button type="button" className="link" onClick={() => (remove(index), soon())}>
              remove button
            </button>
          </div>
        );
      })}
      {fields.length < 9 ? (
        <button type="button" data-testid={`${testPrefix}add-button`} onClick={() => (append({ type: "postback", label: "" }), soon())}>
          + button
        </button>
      ) : null}
    </div>
  );
}

function KeyboardFields() {
  const { control } = useFormContext();
  const { fields, append, remove } = useFieldArray({ control, name: "data.buttons" });
  const soon = useCommitSoon();
  return (
    <>
      <Select name="data.type" label="Input expected" options={["any", "text", "buttons", "number", "location"]} />
      <div className="array">
        <div className="array-head">Quick replies ({fields.length}/50)</div>
        {fields.map((field, index) => (
          <div key={field.id} className="button-fields" data-testid="quick-reply-fields">
            <TemplateField name={`data.buttons.${index}.label`} label="Label" testId={`qr-${index}-label`} />
            <TemplateField name={`data.buttons.${index}.payload`} label="Payload (optional)" testId={`qr-${index}-payload`} />
            <button type="button" className="link" onClick={() => (remove(index), soon())}>
              remove
            </button>
          </div>
        ))}
        <button type="button" data-testid="add-quick-reply" onClick={() => (append({ label: "" }), soon())}>
          + quick reply
        </button>
      </div>
      <p className="muted">Drag from a quick reply's handle to a node: the edge takes that reply.</p>
    </>
  );
}

function FlowIdField({ name, label }: { name: string; label: string }) {
  const { register } = useFormContext();
  const bot = useStudio((s) => s.bot) as Bot;
  const list = `flows-${name}`;
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      <input id={`f-${name}`} list={list} data-testid={`field-${name}`} {...register(name)} />
      <datalist id={list}>
        {bot.flows.map((flow) => (
          <option key={String(flow.id)} value={String(flow.id)}>
            {flow.title ?? ""}
          </option>
        ))}
      </datalist>
    </div>
  );
}

function FlowFields() {
  return (
    <>
      <FlowIdField name="data.flowId" label="Flow id (or a template)" />
      <TemplateField name="data.nodeId" label="Node id (optional; default: its entry)" />
    </>
  );
}

function ParameterFields() {
  const { control, register } = useFormContext();
  const type = useWatch({ control, name: "data.type" });
  const { fields, append, remove } = useFieldArray({ control, name: "data.params" });
  const soon = useCommitSoon();
  return (
    <>
      <Select name="data.type" label="Operation" options={["set", "clear"]} />
      {type !== "clear" ? (
        <div className="array">
          <div className="array-head">Params</div>
          {fields.map((field, index) => (
            <div key={field.id} className="row">
              <input placeholder="key" {...register(`data.params.${index}.key`, { pattern: /^[A-Za-z0-9_-]+$/ })} data-testid={`param-${index}-key`} />
              <TemplateField name={`data.params.${index}.value`} label="value" testId={`param-${index}-value`} />
              <button type="button" className="link" onClick={() => (remove(index), soon())}>
                ✕
              </button>
            </div>
          ))}
          <button type="button" onClick={() => (append({ key: "", value: "" }), soon())} data-testid="add-param">
            + param
          </button>
        </div>
      ) : null}
    </>
  );
}

function FetchFields() {
  return (
    <>
      <TemplateField name="data.uri" label="URI" />
      <Select name="data.method" label="Method" options={["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]} />
      <Select name="data.contentType" label="Content type" options={["", "json", "x-www-form-urlencoded"]} />
      <JsonField name="data.headers" label="Headers (JSON object of templates)" />
      <TemplateField name="data.body" label="Body" multiline />
      <p className="muted">The result is in context `fetch` (data, statusCode, status COMPLETED/FAILED, error).</p>
    </>
  );
}

function SandboxFields() {
  const { register } = useFormContext();
  return (
    <>
      <Select name="data.runtime" label="Runtime" options={["nodejs", "python"]} />
      <div className="field">
        <label htmlFor="f-script">Script</label>
        <textarea id="f-script" className="code" rows={12} spellCheck={false} {...register("data.script")} />
      </div>
    </>
  );
}

function BackFields() {
  const { register } = useFormContext();
  return (
    <>
      <Select name="data.operation" label="Operation" options={["pop", "drop", "clear"]} />
      <div className="field">
        <label htmlFor="f-count">Count</label>
        <input id="f-count" type="number" min={1} {...register("data.count", { valueAsNumber: true })} />
      </div>
    </>
  );
}

function ManualFields({ node }: { node: BotNode }) {
  const messages = node.data?.messages;
  return (
    <>
      {typeof messages === "string" || messages === undefined || messages === null ? (
        <TemplateField name="data.messages" label="Announcement" multiline />
      ) : (
        <JsonField name="data.messages" label="Announcement (messages, JSON)" />
      )}
      <JsonField name="data.cancel" label='Cancel texts (JSON list, e.g. ["취소", "cancel"])' />
    </>
  );
}

function Select({ name, label, options }: { name: string; label: string; options: string[] }) {
  const { register } = useFormContext();
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} data-testid={`field-${name}`} {...register(name)}>
        {options.map((option) => (
          <option key={option} value={option}>
            {option || "(default)"}
          </option>
        ))}
      </select>
    </div>
  );
}

function JsonField({ name, label }: { name: string; label: string }) {
  const { control } = useFormContext();
  const error = useRef<HTMLDivElement>(null);
  return (
    <Controller
      control={control}
      name={name}
      render={({ field }) => (
        <div className="field">
          <label>{label}</label>
          <textarea
            className="code"
            rows={4}
            defaultValue={field.value === undefined ? "" : JSON.stringify(field.value, null, 2)}
            onChange={(event) => {
              const text = event.target.value;
              if (!text.trim()) {
                field.onChange(undefined);
                if (error.current) error.current.textContent = "";
                return;
              }
              try {
                field.onChange(JSON.parse(text));
                if (error.current) error.current.textContent = "";
              } catch (e) {
                if (error.current) error.current.textContent = `not JSON: ${(e as Error).message}`;
              }
            }}
          />
          <div className="field-error" ref={error} />
        </div>
      )}
    />
  );
}
