// Small helpers shared by the widgets. They work in both hosts that load our ES modules:
// anywidget in JupyterLab (Backbone-like model) and Panel's AnyWidgetComponent (its model adapter
// has get/set/save_changes/on/off but no send, so widgets report events through synced traits).

/** Bytes from a synced Bytes trait as a Uint8Array, whatever the host hands over. */
export function toUint8(value) {
  if (value == null) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") {
    // base64, as some serializers send bytes inside JSON
    const raw = atob(value);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  if (Array.isArray(value)) return Uint8Array.from(value);
  return new Uint8Array(0);
}

/** Little-endian float32 values from a Bytes trait (copied, so the alignment never matters). */
export function toFloat32(value) {
  const bytes = toUint8(value);
  const copy = bytes.slice();
  return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
}

/** Subscribe to trait changes; returns one function that unsubscribes all of them. */
export function listen(model, handlers) {
  const pairs = Object.entries(handlers).map(([name, fn]) => {
    const cb = () => fn(model.get(name));
    model.on(`change:${name}`, cb);
    return [name, cb];
  });
  return () => {
    for (const [name, cb] of pairs) {
      try {
        model.off(`change:${name}`, cb);
      } catch (_) {
        // a host tearing down its model first is fine
      }
    }
  };
}

/** Set traits and push them to Python in one go. */
export function save(model, values) {
  for (const [name, value] of Object.entries(values)) model.set(name, value);
  model.save_changes();
}

let counter = 0;
/** A value that differs on every call, so the same action twice still changes the synced trait. */
export function nonce() {
  counter += 1;
  return `${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Create an element with a class, text (never HTML: text comes from users) and attributes. */
export function h(tag, className, text, attrs) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

/** Styles go inside the widget's own element: Panel renders in shadow DOM, where page CSS does not reach. */
export function addStyle(root, css) {
  const style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);
}

export function formatTime(seconds) {
  if (!Number.isFinite(seconds)) return "-";
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, "0")}`;
}
