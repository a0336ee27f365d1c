// The side panel's form of a node, one per type of SPEC §2 (react-hook-form).
// Every change goes to the bot at once (one undo step per field while typing);
// values are merged into the node's data, so keys the form does not show stay.
import { createContext, useCallback, useContext, useEffect, useRef } from "react";
import { Controller, FormProvider, useFieldArray, useForm, useFormContext, useWatch } from "react-hook-form";
import { mergeEdit } from "../lib/edits";
import { hasKey, t, useT } from "../lib/i18n";
import { defaultData, typeLabel } from "../lib/model";
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
  const t = useT();
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
            {typeLabel(node.type)} <span className="muted">#{String(node.id)}</span>
          </h3>
          <div className="field">
            <label htmlFor="f-label">{t("form.label")}</label>
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
      return <p className="muted">{t("form.entry")}</p>;
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
          <p className="muted">{t("form.unsupported")}</p>
          <JsonField name="data" label={t("form.data")} />
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
  const t = useT();
  return (
    <>
      <div className="field">
        <label htmlFor="f-message-type">{t("form.messageType")}</label>
        <select id="f-message-type" data-testid="message-type" value={message.type} onChange={(e) => changeType(e.target.value)}>
          {MESSAGE_TYPES.map((type) => (
            <option key={type} value={type}>
              {labelOf("msgtype", type)}
            </option>
          ))}
        </select>
      </div>
      {message.type === "text" ? (
        <>
          <TemplateField name="data.message.text" label={t("form.text")} multiline testId="field-text" />
          <ButtonsEditor name="data.message.buttons" />
        </>
      ) : null}
      {message.type === "media" ? (
        <>
          <TemplateField name="data.message.media.uri" label={t("form.mediaUri")} />
          <Select name="data.message.media.contentType" label={t("form.contentType")} options={["image", "video", "audio"]} prefix="media" />
        </>
      ) : null}
      {message.type === "cards" ? <CardsEditor /> : null}
      {message.type === "location" ? (
        <>
          <TemplateField name="data.message.label" label={t("form.label")} />
          <TemplateField name="data.message.latitude" label={t("form.latitude")} />
          <TemplateField name="data.message.longitude" label={t("form.longitude")} />
        </>
      ) : null}
      <details>
        <summary>{t("form.delayAndCustom")}</summary>
        <TemplateField name="data.message.delay" label={t("form.delay")} />
        <TemplateField name="data.message.meta.custom" label="meta.custom" />
      </details>
    </>
  );
}

function CardsEditor() {
  const { control } = useFormContext();
  const { fields, append, remove, move } = useFieldArray({ control, name: "data.message.cards" });
  const soon = useCommitSoon();
  const t = useT();
  return (
    <div className="array">
      <div className="array-head">
        {t("form.cards", { n: fields.length })}{fields.length > 1 ? t("form.carousel") : ""}
      </div>
      {fields.map((field, index) => (
        <fieldset key={field.id} className="card-fields" data-testid="card-fields">
          <legend>
            {t("form.card", { n: index + 1 })}
            <button type="button" className="link" disabled={index === 0} onClick={() => (move(index, index - 1), soon())} title={t("form.moveLeft")}>
              ←
            </button>
            <button type="button" className="link" onClick={() => (remove(index), soon())} data-testid="remove-card">
              {t("common.remove")}
            </button>
          </legend>
          <TemplateField name={`data.message.cards.${index}.title`} label={t("form.title")} testId={`card-${index}-title`} />
          <TemplateField name={`data.message.cards.${index}.description`} label={t("form.description")} multiline testId={`card-${index}-description`} />
          <TemplateField name={`data.message.cards.${index}.media.uri`} label={t("form.imageUri")} testId={`card-${index}-image`} />
          <TemplateField name={`data.message.cards.${index}.uri`} label={t("form.cardLink")} testId={`card-${index}-uri`} />
          <ButtonsEditor name={`data.message.cards.${index}.buttons`} testPrefix={`card-${index}-`} />
        </fieldset>
      ))}
      {fields.length < 9 ? (
        <button type="button" data-testid="add-card" onClick={() => (append({ title: "", description: "", buttons: [] }), soon())}>
          {t("form.addCard")}
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
  const t = useT();
  return (
    <div className="array">
      <div className="array-head">{t("form.buttons", { n: fields.length })}</div>
      {fields.map((field, index) => {
        const type = types?.[index]?.type ?? "postback";
        return (
          <div key={field.id} className="button-fields" data-testid={`${testPrefix}button-fields`}>
            <select {...register(`${name}.${index}.type`)} data-testid={`${testPrefix}button-${index}-type`}>
              <option value="postback">{t("button.postback")}</option>
              <option value="link">{t("button.link")}</option>
              <option value="goto">{t("button.goto")}</option>
            </select>
            <TemplateField name={`${name}.${index}.label`} label={t("form.label")} testId={`${testPrefix}button-${index}-label`} />
            {type === "postback" ? <TemplateField name={`${name}.${index}.payload`} label={t("form.payload")} testId={`${testPrefix}button-${index}-payload`} /> : null}
            {type === "link" ? <TemplateField name={`${name}.${index}.uri`} label={t("form.uri")} testId={`${testPrefix}button-${index}-uri`} /> : null}
            {type === "goto" ? (
              <>
                <FlowIdField name={`${name}.${index}.flowId`} label={t("form.flow")} />
                <TemplateField name={`${name}.${index}.nodeId`} label={t("form.nodeIdOptional")} />
              </>
            ) : null}
            <button type="button" className="link" onClick={() => (remove(index), soon())}>
              {t("form.removeButton")}
            </button>
          </div>
        );
      })}
      {fields.length < 9 ? (
        <button type="button" data-testid={`${testPrefix}add-button`} onClick={() => (append({ type: "postback", label: "" }), soon())}>
          {t("form.addButton")}
        </button>
      ) : null}
    </div>
  );
}

function KeyboardFields() {
  const { control } = useFormContext();
  const { fields, append, remove } = useFieldArray({ control, name: "data.buttons" });
  const soon = useCommitSoon();
  const t = useT();
  return (
    <>
      <Select name="data.type" label={t("form.inputExpected")} options={["any", "text", "buttons", "number", "location"]} prefix="input" />
      <div className="array">
        <div className="array-head">{t("form.quickReplies", { n: fields.length })}</div>
        {fields.map((field, index) => (
          <div key={field.id} className="button-fields" data-testid="quick-reply-fields">
            <TemplateField name={`data.buttons.${index}.label`} label={t("form.label")} testId={`qr-${index}-label`} />
            <TemplateField name={`data.buttons.${index}.payload`} label={t("form.payloadOptional")} testId={`qr-${index}-payload`} />
            <button type="button" className="link" onClick={() => (remove(index), soon())}>
              {t("common.remove")}
            </button>
          </div>
        ))}
        <button type="button" data-testid="add-quick-reply" onClick={() => (append({ label: "" }), soon())}>
          {t("form.addQuickReply")}
        </button>
      </div>
      <p className="muted">{t("form.quickReplyHelp")}</p>
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
  const t = useT();
  return (
    <>
      <FlowIdField name="data.flowId" label={t("form.flowId")} />
      <TemplateField name="data.nodeId" label={t("form.flowNodeId")} />
    </>
  );
}

function ParameterFields() {
  const { control, register } = useFormContext();
  const type = useWatch({ control, name: "data.type" });
  const { fields, append, remove } = useFieldArray({ control, name: "data.params" });
  const soon = useCommitSoon();
  const t = useT();
  return (
    <>
      <Select name="data.type" label={t("form.operation")} options={["set", "clear"]} prefix="param" />
      {type !== "clear" ? (
        <div className="array">
          <div className="array-head">{t("form.params")}</div>
          {fields.map((field, index) => (
            <div key={field.id} className="row">
              <input placeholder={t("form.key")} {...register(`data.params.${index}.key`, { pattern: /^[A-Za-z0-9_-]+$/ })} data-testid={`param-${index}-key`} />
              <TemplateField name={`data.params.${index}.value`} label={t("form.value")} testId={`param-${index}-value`} />
              <button type="button" className="link" onClick={() => (remove(index), soon())}>
                ✕
              </button>
            </div>
          ))}
          <button type="button" onClick={() => (append({ key: "", value: "" }), soon())} data-testid="add-param">
            {t("form.addParam")}
          </button>
        </div>
      ) : null}
    </>
  );
}

function FetchFields() {
  const t = useT();
  return (
    <>
      <TemplateField name="data.uri" label="URI" />
      <Select name="data.method" label={t("form.method")} options={["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]} />
      <Select name="data.contentType" label={t("form.contentType")} options={["", "json", "x-www-form-urlencoded"]} />
      <JsonField name="data.headers" label={t("form.headers")} />
      <TemplateField name="data.body" label={t("form.body")} multiline />
      <p className="muted">{t("form.fetchHelp")}</p>
    </>
  );
}

function SandboxFields() {
  const { register } = useFormContext();
  const t = useT();
  return (
    <>
      <Select name="data.runtime" label={t("form.runtime")} options={["nodejs", "python"]} />
      <div className="field">
        <label htmlFor="f-script">{t("form.script")}</label>
        <textarea id="f-script" className="code" rows={12} spellCheck={false} {...register("data.script")} />
      </div>
    </>
  );
}

function BackFields() {
  const { register } = useFormContext();
  const t = useT();
  return (
    <>
      <Select name="data.operation" label={t("form.operation")} options={["pop", "drop", "clear"]} prefix="back" />
      <div className="field">
        <label htmlFor="f-count">{t("form.count")}</label>
        <input id="f-count" type="number" min={1} {...register("data.count", { valueAsNumber: true })} />
      </div>
    </>
  );
}

function ManualFields({ node }: { node: BotNode }) {
  const messages = node.data?.messages;
  const t = useT();
  return (
    <>
      {typeof messages === "string" || messages === undefined || messages === null ? (
        <TemplateField name="data.messages" label={t("form.announcement")} multiline />
      ) : (
        <JsonField name="data.messages" label={t("form.announcementJson")} />
      )}
      <JsonField name="data.cancel" label={t("form.cancelTexts")} />
    </>
  );
}

/** An option's name in the current language (`${prefix}.${value}` in the dictionaries), else the value. */
function labelOf(prefix: string | undefined, value: string): string {
  const key = `${prefix}.${value}`;
  return prefix && hasKey(key) ? t(key) : value;
}

function Select({ name, label, options, prefix }: { name: string; label: string; options: string[]; prefix?: string }) {
  const { register } = useFormContext();
  const t = useT();
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} data-testid={`field-${name}`} {...register(name)}>
        {options.map((option) => (
          <option key={option} value={option}>
            {option ? labelOf(prefix, option) : t("common.default")}
          </option>
        ))}
      </select>
    </div>
  );
}

function JsonField({ name, label }: { name: string; label: string }) {
  const { control } = useFormContext();
  const error = useRef<HTMLDivElement>(null);
  const t = useT();
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
                if (error.current) error.current.textContent = t("common.notJson", { error: (e as Error).message });
              }
            }}
          />
          <div className="field-error" ref={error} />
        </div>
      )}
    />
  );
}
