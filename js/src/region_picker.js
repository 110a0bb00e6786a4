// Region picker: waveform (wavesurfer.js), drag to select a region, right-click it for
// Regenerate / Delete / Loop, "Play loop" to audition the selection, comment markers, zoom.
//
// Python owns the state (see workbench/ui/region_picker.py). Traits read here:
//   audio_ogg (bytes), audio_mime, peaks (float32 bytes, channel-major), peaks_channels, duration,
//   revision (bumped after a new track's traits are set: the one signal to reload),
//   region ([start, end] | null, both ways), comments ([{at, end, text}]), zoom (px per s, 0 = fit),
//   height, error (text shown next to the widget), busy.
// Traits written here: region, zoom, error (dismiss), action ({name, start, end, at, text, nonce}).
// Events go through the synced `action` trait, never model.send: Panel's AnyWidgetComponent has no send.
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";
import css from "./region_picker_css.js";
import { addStyle, formatTime, h, listen, nonce, save, toFloat32, toUint8 } from "./host.js";

const SELECTION_ID = "wb-selection";
const SELECTION_COLOR = "rgba(59, 111, 216, 0.25)";
const COMMENT_COLOR = "rgba(230, 140, 0, 0.9)";
const COMMENT_SPAN_COLOR = "rgba(230, 140, 0, 0.15)";
const COMMENT_PREFIX = "wb-comment-";
const MENU = [
  ["regenerate", "Regenerate"],
  ["delete", "Delete"],
  ["loop", "Loop"],
];

const round = (x) => Math.round(x * 1e4) / 1e4;

function render({ model, el }) {
  // data-jp-suppress-context-menu keeps JupyterLab's own menu from covering ours.
  const root = h("div", "wb-picker", null, { "data-jp-suppress-context-menu": "" });
  addStyle(root, css);

  const bar = h("div", "wb-bar");
  const playButton = h("button", "wb-play", "Play", { type: "button", title: "Play / pause" });
  const loopButton = h("button", "wb-loop", "Play loop", {
    type: "button",
    "aria-pressed": "false",
    title: "Audition the selected region in a loop",
  });
  const timeLabel = h("span", "wb-time", "-");
  const selectionLabel = h("span", "wb-sel", "no selection");
  const zoomLabel = h("label", "wb-zoom-label", "Zoom ");
  const zoomInput = h("input", "wb-zoom", null, { type: "range", min: "0", max: "500", step: "1", value: "0" });
  zoomLabel.appendChild(zoomInput);
  const commentInput = h("input", "wb-comment-text", null, { type: "text", placeholder: "Comment text" });
  const commentButton = h("button", "wb-comment", "Comment at cursor", { type: "button" });
  const busyLabel = h("span", "wb-busy", "");
  bar.append(playButton, loopButton, timeLabel, selectionLabel, zoomLabel, commentInput, commentButton, busyLabel);

  const wave = h("div", "wb-wave");
  const errorBox = h("div", "wb-error", null, { role: "alert" });
  const errorText = h("span");
  const errorClose = h("button", "wb-error-close", "Dismiss", { type: "button" });
  errorBox.append(errorText, errorClose);
  const menu = h("div", "wb-menu", null, { role: "menu" });
  for (const [name, label] of MENU) {
    menu.appendChild(h("button", `wb-menu-${name}`, label, { type: "button", role: "menuitem", "data-action": name }));
  }
  root.append(bar, wave, errorBox, menu);
  el.appendChild(root);

  let ws = null;
  let regions = null;
  let selection = null;
  let looping = false;
  let localError = "";

  // ------------------------------------------------------------------ readouts
  const duration = () => model.get("duration") || 0;

  function showTime() {
    const t = ws ? ws.getCurrentTime() : 0;
    timeLabel.textContent = `${formatTime(t)} / ${formatTime(duration())}`;
  }

  function showSelection() {
    selectionLabel.textContent = selection
      ? `${selection.start.toFixed(2)}-${selection.end.toFixed(2)} s`
      : "no selection";
    root.dataset.region = selection ? `${round(selection.start)},${round(selection.end)}` : "";
  }

  function showError() {
    const message = model.get("error") || localError;
    errorText.textContent = message;
    errorBox.classList.toggle("wb-show", Boolean(message));
  }

  function showBusy() {
    const busy = Boolean(model.get("busy"));
    busyLabel.textContent = busy ? "working..." : "";
    for (const button of menu.querySelectorAll("button")) button.disabled = busy;
  }

  function setLooping(on) {
    looping = on;
    loopButton.setAttribute("aria-pressed", String(on));
    root.dataset.looping = String(on);
  }

  // ------------------------------------------------------------------ regions
  function pushRegion() {
    const value = selection ? [round(selection.start), round(selection.end)] : null;
    save(model, { region: value });
  }

  function applyRegion(value) {
    if (!regions) return;
    const valid = Array.isArray(value) && value.length === 2 && value[1] > value[0];
    if (!valid) {
      if (selection) {
        const old = selection;
        selection = null;
        old.remove();
      }
    } else if (selection) {
      if (round(selection.start) !== round(value[0]) || round(selection.end) !== round(value[1])) {
        selection.setOptions({ start: value[0], end: value[1] });
      }
    } else {
      selection = regions.addRegion({ id: SELECTION_ID, start: value[0], end: value[1], color: SELECTION_COLOR });
    }
    showSelection();
  }

  function drawComments(list) {
    if (!regions) return;
    for (const r of regions.getRegions().slice()) if (r.id.startsWith(COMMENT_PREFIX)) r.remove();
    (Array.isArray(list) ? list : []).forEach((comment, i) => {
      const at = Number(comment.at);
      if (!Number.isFinite(at)) return;
      const end = Number(comment.end);
      const text = String(comment.text ?? "");
      const label = h("div", "wb-marker-text", text.length > 40 ? `${text.slice(0, 39)}...` : text, { title: text });
      label.style.cssText =
        "font-size: 11px; padding: 0 3px; white-space: nowrap; background: rgba(255,255,255,0.8); color: #333;";
      const span = Number.isFinite(end) && end > at;
      regions.addRegion({
        id: `${COMMENT_PREFIX}${i}`,
        start: at,
        end: span ? end : at,
        color: span ? COMMENT_SPAN_COLOR : COMMENT_COLOR,
        content: label,
        drag: false,
        resize: false,
      });
    });
  }

  // ------------------------------------------------------------------ waveform
  function teardownWave() {
    hideMenu();
    setLooping(false);
    selection = null;
    regions = null;
    if (ws) {
      ws.destroy();
      ws = null;
    }
    root.dataset.ready = "false";
  }

  function load() {
    teardownWave();
    localError = "";
    showError();
    const bytes = toUint8(model.get("audio_ogg"));
    if (!duration() || !bytes.length) {
      wave.replaceChildren(h("div", "wb-empty", "No audio loaded."));
      showTime();
      showSelection();
      return;
    }
    wave.replaceChildren();
    const flat = toFloat32(model.get("peaks"));
    const channels = Math.max(1, model.get("peaks_channels") || 1);
    const perChannel = Math.floor(flat.length / channels);
    const peaks = [];
    for (let c = 0; c < channels; c++) peaks.push(flat.subarray(c * perChannel, (c + 1) * perChannel));

    regions = RegionsPlugin.create();
    ws = WaveSurfer.create({
      container: wave,
      height: model.get("height") || 128,
      waveColor: "#8797bd",
      progressColor: "#3b5ea8",
      cursorColor: "#d33",
      cursorWidth: 2,
      normalize: false,
      minPxPerSec: model.get("zoom") || 0,
      autoScroll: true,
      plugins: [regions],
    });
    const thisWs = ws;
    regions.enableDragSelection({ color: SELECTION_COLOR });
    regions.on("region-created", (region) => {
      if (region.id.startsWith(COMMENT_PREFIX) || region === selection) return;
      if (region.id !== SELECTION_ID) {
        // A new drag replaces the previous selection: there is one selection at a time.
        const old = selection;
        selection = region;
        if (old) old.remove();
        pushRegion();
      } else {
        selection = region;
      }
      showSelection();
    });
    regions.on("region-update", (region) => {
      if (region === selection) showSelection();
    });
    regions.on("region-updated", (region) => {
      if (region === selection) {
        showSelection();
        pushRegion();
      }
    });
    ws.on("ready", () => {
      if (ws !== thisWs) return;
      applyRegion(model.get("region"));
      drawComments(model.get("comments"));
      root.dataset.ready = "true";
      showTime();
    });
    ws.on("timeupdate", (t) => {
      showTime();
      if (looping && selection && ws.isPlaying() && (t >= selection.end || t < selection.start - 0.25)) {
        ws.setTime(selection.start);
      }
    });
    ws.on("finish", () => {
      if (looping && selection) {
        ws.setTime(selection.start);
        ws.play();
      }
    });
    ws.on("play", () => {
      playButton.textContent = "Pause";
      root.dataset.playing = "true";
    });
    ws.on("pause", () => {
      playButton.textContent = "Play";
      root.dataset.playing = "false";
    });
    ws.on("error", (error) => {
      localError = `The browser could not play this audio: ${error && error.message ? error.message : error}`;
      showError();
    });
    const blob = new Blob([bytes], { type: model.get("audio_mime") || "audio/ogg" });
    ws.loadBlob(blob, peaks, duration()).catch((error) => {
      if (error && error.name === "AbortError") return; // superseded by a newer track
      localError = `Loading the waveform failed: ${error && error.message ? error.message : error}`;
      showError();
    });
    showTime();
    showSelection();
  }

  // ------------------------------------------------------------------ context menu
  function hideMenu() {
    menu.classList.remove("wb-show");
  }

  function timeAt(clientX) {
    const rect = ws.getWrapper().getBoundingClientRect();
    return ((clientX - rect.left) / rect.width) * duration();
  }

  function onContextMenu(event) {
    if (!ws || !selection) return;
    const onSelection =
      (selection.element && event.composedPath().includes(selection.element)) ||
      (() => {
        const t = timeAt(event.clientX);
        return t >= selection.start && t <= selection.end;
      })();
    if (!onSelection) return;
    event.preventDefault();
    event.stopPropagation();
    const box = root.getBoundingClientRect();
    menu.classList.add("wb-show");
    // Keep the menu inside the widget: notebook output areas clip whatever overflows them.
    const left = Math.min(event.clientX - box.left, box.width - menu.offsetWidth - 2);
    const top = Math.min(event.clientY - box.top, box.height - menu.offsetHeight - 2);
    menu.style.left = `${Math.max(0, left)}px`;
    menu.style.top = `${Math.max(0, top)}px`;
  }

  function onMenuClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled || !selection) return;
    event.stopPropagation();
    hideMenu();
    const name = button.getAttribute("data-action");
    save(model, { action: { name, start: round(selection.start), end: round(selection.end), nonce: nonce() } });
  }

  function onDocumentPointerDown(event) {
    if (!event.composedPath().includes(menu)) hideMenu();
  }

  function onKeyDown(event) {
    if (event.key === "Escape") hideMenu();
  }

  // ------------------------------------------------------------------ toolbar
  function onPlay() {
    if (!ws) return;
    if (looping) setLooping(false);
    ws.playPause();
  }

  function onLoop() {
    if (!ws) return;
    if (looping) {
      setLooping(false);
      ws.pause();
      return;
    }
    if (!selection) {
      localError = "Select a region first (drag on the waveform), then Play loop.";
      showError();
      return;
    }
    setLooping(true);
    ws.setTime(selection.start);
    ws.play();
  }

  function onComment() {
    const text = commentInput.value.trim();
    if (!text) {
      localError = "Type the comment text first.";
      showError();
      return;
    }
    const at = ws ? round(ws.getCurrentTime()) : 0;
    save(model, { action: { name: "comment", at, text, nonce: nonce() } });
    commentInput.value = "";
  }

  function onZoomInput() {
    const value = Number(zoomInput.value);
    if (ws && root.dataset.ready === "true") ws.zoom(value);
  }

  function onZoomChange() {
    save(model, { zoom: Number(zoomInput.value) });
  }

  function onDismiss() {
    localError = "";
    if (model.get("error")) save(model, { error: "" });
    showError();
  }

  // Keep key presses in the text box away from JupyterLab's command shortcuts.
  const stopKeys = (event) => event.stopPropagation();

  playButton.addEventListener("click", onPlay);
  loopButton.addEventListener("click", onLoop);
  commentButton.addEventListener("click", onComment);
  commentInput.addEventListener("keydown", stopKeys);
  zoomInput.addEventListener("input", onZoomInput);
  zoomInput.addEventListener("change", onZoomChange);
  errorClose.addEventListener("click", onDismiss);
  wave.addEventListener("contextmenu", onContextMenu);
  menu.addEventListener("click", onMenuClick);
  menu.addEventListener("contextmenu", (event) => event.preventDefault());
  document.addEventListener("pointerdown", onDocumentPointerDown, true);
  document.addEventListener("keydown", onKeyDown);

  const unlisten = listen(model, {
    revision: load,
    region: applyRegion,
    comments: drawComments,
    zoom: (value) => {
      zoomInput.value = String(value || 0);
      if (ws && root.dataset.ready === "true") ws.zoom(value || 0);
    },
    height: (value) => ws && ws.setOptions({ height: value || 128 }),
    error: showError,
    busy: showBusy,
  });

  zoomInput.value = String(model.get("zoom") || 0);
  showBusy();
  load();

  return () => {
    unlisten();
    document.removeEventListener("pointerdown", onDocumentPointerDown, true);
    document.removeEventListener("keydown", onKeyDown);
    teardownWave();
    root.remove();
  };
}

export default { render };
