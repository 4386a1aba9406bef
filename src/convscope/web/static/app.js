// convscope explorer. This script only builds the form from the server's schema, sends the fields
// as typed, and shows what the server answers: every size, formula and picture is computed in
// Python (convscope.arith, convscope.viz). No arithmetic on the geometry happens here.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  schema: null,
  sequence: 0,        // the latest request sent; older answers are dropped
  config: null,       // the fields of the configuration now shown
  key: "",            // its canonical text (frame cache key)
  shown: null,        // the frame payload shown (its index, neighbours and label come from the server)
  frames: new Map(),  // frame index -> {svg, caption} for the shown configuration
  timer: null,
  renders: 0,
};

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data;
  try {
    data = await response.json();
  } catch (err) {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok || !data.ok) throw new Error(data.error || `the server answered ${response.status}`);
  return data;
}

// -- the form -----------------------------------------------------------------------------
function buildOperators() {
  const select = $("operator");
  const groups = new Map();
  for (const op of state.schema.operators) {
    if (!groups.has(op.group)) {
      const group = document.createElement("optgroup");
      group.label = op.group;
      groups.set(op.group, group);
      select.appendChild(group);
    }
    const option = document.createElement("option");
    option.value = op.name;
    option.textContent = op.label;
    groups.get(op.group).appendChild(option);
  }
  const caps = state.schema.caps;
  $("caps").textContent = `The explorer draws 1-d or 2-d inputs of at most ${caps.input} cells per axis, ` +
    `kernels up to ${caps.kernel_size}; the server refuses larger requests with a message.`;
}

function buildParameters(operatorName) {
  const op = state.schema.operators.find((o) => o.name === operatorName);
  const box = $("parameters");
  box.querySelectorAll(".field").forEach((node) => node.remove());
  for (const [name, value] of Object.entries(op.defaults)) {
    const spec = state.schema.parameters[name];
    const field = document.createElement("div");
    field.className = "field" + (spec.kind === "bool" ? " check" : "");
    const id = `param-${name}`;
    let input;
    if (spec.kind === "choice") {
      input = document.createElement("select");
      for (const choice of spec.choices) {
        const option = document.createElement("option");
        option.value = choice;
        option.textContent = choice === "tf" ? "TensorFlow" : choice === "torch" ? "PyTorch" : choice;
        input.appendChild(option);
      }
      input.value = value;
    } else if (spec.kind === "bool") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = Boolean(value);
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.value = value;
      input.spellcheck = false;
    }
    input.id = id;
    input.name = name;
    input.title = spec.help;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = spec.label;
    const help = document.createElement("span");
    help.className = "help";
    help.textContent = spec.help;
    if (spec.kind === "bool") field.append(input, label, help);
    else field.append(label, input, help);
    box.appendChild(field);
  }
}

function readFields() {
  const fields = { operator: $("operator").value };
  for (const input of $("parameters").querySelectorAll("input, select")) {
    fields[input.name] = input.type === "checkbox" ? input.checked : input.value;
  }
  return fields;
}

// -- showing answers ----------------------------------------------------------------------
function markFields(message) {
  // outline the field the server's message names (it starts with the parameter's name)
  for (const input of $("parameters").querySelectorAll("input, select")) {
    const named = message.startsWith(input.name + ":") || message.startsWith(input.name + "=");
    input.classList.toggle("bad", named);
  }
}

function showError(message) {
  const box = $("error");
  box.textContent = `Cannot draw this configuration: ${message}`;
  box.hidden = false;
  markFields(message);
  $("shape-output").textContent = "—";
  $("formula").textContent = "";
  document.body.dataset.state = "error";
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
  markFields("");
}

function showFigure(id, panel) {
  $(id).innerHTML = panel.svg || "";
  $(`${id}-title`).textContent = panel.svg ? (panel.title || "") : (panel.note || "");
}

function shapeText(shape) {
  const join = (values) => (Array.isArray(values) ? values.join(" x ") : String(values));
  const input = shape.input !== undefined ? join(shape.input) : "";
  const output = shape.output !== undefined ? join(shape.output) : "";
  return input ? `${input} → ${output}` : output;
}

function formulaText(shape) {
  if (Array.isArray(shape.lines)) return shape.lines.join("\n");
  const lines = [];
  if (typeof shape.formula === "string") lines.push(shape.formula);
  for (const axis of shape.axes || []) {
    if (axis.formula) lines.push(axis.formula);
  }
  // other sizes the same input reaches (transposed convolution), as the server lists them
  for (const axis of shape.axes || []) {
    const how = shape.op === "conv_transpose" ? "output_padding" : "offset from the default output_size";
    const sizes = (axis.alternatives || []).map((c) => `${c.size} (${how} ${c.output_padding})`);
    if (sizes.length > 1) lines.push(`${axis.name}_out sizes this input can give: ${sizes.join(", ")}`);
  }
  if (Array.isArray(shape.notes)) lines.push(...shape.notes);
  return lines.join("\n");
}

function showFrame(payload) {
  state.frames.set(payload.frame, payload);
  state.shown = payload;
  $("diagram").innerHTML = payload.svg;
  $("caption").textContent = payload.caption || "";
  $("frame").max = String(payload.last);
  $("frame").value = String(payload.frame);
  $("frame-label").textContent = payload.label;
}

async function update() {
  const fields = readFields();
  const sequence = ++state.sequence;
  document.body.dataset.state = "loading";
  let data;
  try {
    data = await api("/api/explore", fields);
  } catch (err) {
    if (sequence === state.sequence) showError(err.message);
    return;
  }
  if (sequence !== state.sequence) return;
  clearError();
  state.config = fields;
  state.key = JSON.stringify(fields);
  state.frames = new Map();
  showFrame(data.animation);
  $("shape-output").textContent = shapeText(data.shape);
  $("formula").textContent = formulaText(data.shape);
  showFigure("overlap", data.overlap);
  showFigure("rf", data.rf);
  state.renders += 1;
  document.body.dataset.renders = String(state.renders);
  document.body.dataset.state = "ready";
}

async function goTo(index) {
  if (!state.config || index === undefined) return;
  const cached = state.frames.get(index);
  if (cached) {
    showFrame(cached);
    return;
  }
  const key = state.key;
  try {
    const payload = await api("/api/frame", { ...state.config, frame: index });
    if (key === state.key) showFrame(payload);
  } catch (err) {
    showError(err.message);
  }
}

function togglePlay() {
  if (state.timer) {
    clearInterval(state.timer);
    state.timer = null;
    $("play").innerHTML = "&#9654; play";
    return;
  }
  state.timer = setInterval(() => goTo(state.shown && state.shown.next), 700);
  $("play").innerHTML = "&#10074;&#10074; pause";
}

// -- wiring -----------------------------------------------------------------------------
let pending = null;
function scheduleUpdate() {
  clearTimeout(pending);
  pending = setTimeout(update, 200);
}

async function start() {
  try {
    state.schema = await api("/api/schema");
  } catch (err) {
    showError(err.message);
    return;
  }
  buildOperators();
  $("operator").value = state.schema.operators[0].name;
  buildParameters($("operator").value);
  $("operator").addEventListener("change", () => {
    buildParameters($("operator").value);
    update();
  });
  $("parameters").addEventListener("input", scheduleUpdate);
  $("parameters").addEventListener("change", scheduleUpdate);
  $("controls").addEventListener("submit", (event) => {
    event.preventDefault();
    update();
  });
  $("play").addEventListener("click", togglePlay);
  $("prev").addEventListener("click", () => goTo(state.shown && state.shown.previous));
  $("next").addEventListener("click", () => goTo(state.shown && state.shown.next));
  $("frame").addEventListener("input", () => goTo(Number($("frame").value)));
  await update();
}

start();
