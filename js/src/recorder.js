// Melody recorder: records the microphone with MediaRecorder, decodes the recording in the browser
// (AudioContext.decodeAudioData reads whatever the browser itself recorded: webm/opus in Chromium,
// ogg/opus in Firefox) and sends 16-bit PCM plus its sample rate to Python. Python never has to
// decode webm. The compressed recording is sent as well, for keeping.
//
// Traits written here: pcm (int16 bytes, channel-major), pcm_rate, pcm_channels, recorded (bytes),
// recorded_mime, revision. Read here: max_seconds, sample_rate (decode rate), error.
import { addStyle, formatTime, h, listen, save } from "./host.js";

const css = `
.wb-recorder { display: flex; gap: 8px; align-items: center; flex-wrap: wrap;
  font: 13px/1.4 var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.wb-recorder button { font: inherit; padding: 2px 10px; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--jp-border-color1, #bbb); background: var(--jp-layout-color2, #f3f3f3); color: inherit; }
.wb-recorder button.wb-recording { background: #c62828; color: #fff; border-color: #c62828; }
.wb-recorder .wb-rec-error { color: #8a1c12; white-space: pre-wrap; }
.wb-recorder audio { height: 32px; }
`;

function pickMime() {
  if (typeof MediaRecorder === "undefined") return "";
  for (const mime of ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"]) {
    if (MediaRecorder.isTypeSupported(mime)) return mime;
  }
  return "";
}

function toInt16(buffer) {
  const channels = buffer.numberOfChannels;
  const n = buffer.length;
  const out = new Int16Array(channels * n);
  for (let c = 0; c < channels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < n; i++) {
      const v = Math.max(-1, Math.min(1, data[i]));
      out[c * n + i] = v < 0 ? v * 0x8000 : v * 0x7fff;
    }
  }
  return out;
}

function render({ model, el }) {
  const root = h("div", "wb-recorder");
  addStyle(root, css);
  const button = h("button", "wb-record", "Record", { type: "button" });
  const status = h("span", "wb-rec-status", "");
  const player = h("audio", null, null, { controls: "" });
  player.style.display = "none";
  const errorLabel = h("span", "wb-rec-error", "");
  root.append(button, status, player, errorLabel);
  el.appendChild(root);

  let recorder = null;
  let stream = null;
  let chunks = [];
  let timer = null;
  let started = 0;
  let playerUrl = null;

  const showError = (message) => {
    errorLabel.textContent = message || model.get("error") || "";
  };

  function stopTracks() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    if (timer) clearInterval(timer);
    timer = null;
  }

  async function finish(mime) {
    const blob = new Blob(chunks, { type: mime || "audio/webm" });
    chunks = [];
    if (playerUrl) URL.revokeObjectURL(playerUrl);
    playerUrl = URL.createObjectURL(blob);
    player.src = playerUrl;
    player.style.display = "";
    const recorded = await blob.arrayBuffer();
    const values = { recorded: new DataView(recorded), recorded_mime: blob.type };
    status.textContent = "decoding...";
    try {
      const rate = model.get("sample_rate") || 32000;
      const context = new AudioContext({ sampleRate: rate });
      const decoded = await context.decodeAudioData(recorded.slice(0));
      context.close();
      const pcm = toInt16(decoded);
      Object.assign(values, {
        pcm: new DataView(pcm.buffer),
        pcm_rate: decoded.sampleRate,
        pcm_channels: decoded.numberOfChannels,
      });
      status.textContent = `${decoded.duration.toFixed(1)} s recorded`;
    } catch (error) {
      Object.assign(values, { pcm: new DataView(new ArrayBuffer(0)), pcm_rate: 0, pcm_channels: 0 });
      status.textContent = "";
      showError(`The browser could not decode its recording (${error}); the raw ${blob.type} bytes were sent.`);
    }
    values.revision = (model.get("revision") || 0) + 1;
    save(model, values);
    root.dataset.recorded = String(values.revision);
  }

  async function start() {
    showError("");
    if (!navigator.mediaDevices || typeof MediaRecorder === "undefined") {
      showError("This browser cannot record audio (no MediaRecorder; the page must be served over https or localhost).");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      showError(`No microphone: ${error && error.message ? error.message : error}`);
      return;
    }
    const mime = pickMime();
    recorder = mime ? new MediaRecorder(stream, { mimeType: mime }) : new MediaRecorder(stream);
    chunks = [];
    recorder.ondataavailable = (event) => event.data && event.data.size && chunks.push(event.data);
    recorder.onstop = () => {
      stopTracks();
      finish(recorder.mimeType || mime);
      recorder = null;
    };
    recorder.start(250);
    started = performance.now();
    button.textContent = "Stop";
    button.classList.add("wb-recording");
    root.dataset.recording = "true";
    const limit = model.get("max_seconds") || 60;
    timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      status.textContent = `recording ${formatTime(elapsed)}`;
      if (elapsed >= limit) stop();
    }, 200);
  }

  function stop() {
    button.textContent = "Record";
    button.classList.remove("wb-recording");
    root.dataset.recording = "false";
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  const onClick = () => (recorder ? stop() : start());
  button.addEventListener("click", onClick);
  const unlisten = listen(model, { error: () => showError("") });

  return () => {
    unlisten();
    button.removeEventListener("click", onClick);
    if (recorder && recorder.state !== "inactive") {
      recorder.onstop = null;
      recorder.stop();
    }
    stopTracks();
    if (playerUrl) URL.revokeObjectURL(playerUrl);
    root.remove();
  };
}

export default { render };
