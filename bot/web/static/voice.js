// Switchboard browser phone: microphone -> 16 kHz mono s16le frames -> /voice/ws; bot audio
// frames are scheduled for playback and dropped on barge-in. Plain DOM, no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const RATE = 16000;
  let socket = null, context = null, source = null, processor = null, stream = null;
  let playhead = 0;
  const playing = [];

  function log(kind, text) {
    const item = document.createElement("li");
    item.className = "message " + kind;
    item.textContent = text;
    $("call-log").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function setState(text) { $("call-state").textContent = text; }

  function downsample(input, fromRate) {
    const ratio = fromRate / RATE;
    const out = new Int16Array(Math.floor(input.length / ratio));
    for (let i = 0; i < out.length; i++) {
      const start = Math.floor(i * ratio), end = Math.min(input.length, Math.floor((i + 1) * ratio));
      let sum = 0;
      for (let j = start; j < end; j++) sum += input[j];
      const v = Math.max(-1, Math.min(1, sum / Math.max(1, end - start)));
      out[i] = v < 0 ? v * 0x8000 : v * 0x7fff;
    }
    return out;
  }

  function play(buffer) {
    const samples = new Int16Array(buffer);
    const audio = context.createBuffer(1, samples.length, RATE);
    const channel = audio.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 0x8000;
    const node = context.createBufferSource();
    node.buffer = audio;
    node.connect(context.destination);
    playhead = Math.max(playhead, context.currentTime);
    node.start(playhead);
    playhead += audio.duration;
    playing.push(node);
    node.onended = () => playing.splice(playing.indexOf(node), 1);
  }

  function stopPlayback() {
    for (const node of playing.splice(0)) { try { node.stop(); } catch (e) { /* already ended */ } }
    playhead = context ? context.currentTime : 0;
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "bot": log("bot", frame.text); break;
      case "partial": $("partial").textContent = frame.text; break;
      case "transcript": $("partial").textContent = ""; if (frame.text) log("customer", frame.text); break;
      case "error": log("system", `error: ${frame.message}`); break;
      case "event":
        if (frame.name === "barge_in") stopPlayback();
        if (frame.name === "ended") { log("system", `call ended (${frame.reason})`); hangup(); }
        else if (frame.name !== "stt") log("system", frame.name + (frame.key ? ` ${frame.key}` : ""));
        if (frame.name === "call_started") setState("in call");
        break;
    }
  }

  async function call() {
    $("call").disabled = true;
    setState("connecting…");
    context = new AudioContext();
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
    source = context.createMediaStreamSource(stream);
    processor = context.createScriptProcessor(4096, 1, 1);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/voice/ws`);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => {
      const start = { type: "start", caller_id: "browser", sample_rate: RATE };
      if ($("voice-language").value) start.language = $("voice-language").value;
      socket.send(JSON.stringify(start));
      processor.onaudioprocess = (e) => {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(downsample(e.inputBuffer.getChannelData(0), context.sampleRate).buffer);
        }
      };
      source.connect(processor);
      processor.connect(context.destination);
      $("hangup").disabled = false;
    });
    socket.addEventListener("message", (e) => {
      if (typeof e.data === "string") onFrame(JSON.parse(e.data)); else play(e.data);
    });
    socket.addEventListener("close", () => hangup());
  }

  function hangup() {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "hangup" }));
    if (processor) processor.disconnect();
    if (source) source.disconnect();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    socket = null;
    $("call").disabled = false; $("hangup").disabled = true;
    setState("idle");
  }

  $("call").addEventListener("click", () => call().catch((error) => { log("system", String(error)); hangup(); }));
  $("hangup").addEventListener("click", hangup);
  for (const key of document.querySelectorAll("#keypad button")) {
    key.addEventListener("click", () => {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "dtmf", digit: key.textContent }));
    });
  }
})();
