// WebSocket to /ws/stream on the same host, reconnecting by itself with exponential backoff.
// While open it sends {"type":"ping"} every keepAliveMs (default 30 s): the server closes a connection
// that says nothing for two minutes, and with it the sentence, so a page whose camera is off pings.
// The socket asks for a session (?session=new, which the original's clients never send) and the
// server opens the connection with a 'session' message naming it; on a reconnect the socket asks for
// it again (?session=ID), so the sentence continues, on whichever server answers.
// Events: 'status' {state: 'connecting'|'open'|'reconnecting'|'closed', attempt, delayMs}
//         'message' {data: parsed JSON object}

export function streamUrl(path = '/ws/stream', params = {}) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = new URL(`${scheme}//${location.host}${path}`);
  for (const [k, v] of Object.entries(params)) if (v != null) url.searchParams.set(k, v);
  return url.toString();
}

export class StreamSocket extends EventTarget {
  constructor({ url = streamUrl(), minDelayMs = 500, maxDelayMs = 10000, keepAliveMs = 30000 } = {}) {
    super();
    this.keepAliveMs = keepAliveMs;
    this.keepAlive = null;
    this.url = url;
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.wanted = false;
    this.state = 'closed';
    this.sessionId = null;
  }

  get isOpen() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  #setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('status', { detail: { state, attempt: this.attempt, ...extra } }));
  }

  connect() {
    this.wanted = true;
    if (this.ws && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)) return;
    clearTimeout(this.timer);
    this.#setState(this.attempt ? 'reconnecting' : 'connecting');
    let ws;
    try {
      const url = new URL(this.url);
      url.searchParams.set('session', this.sessionId ?? 'new');
      ws = new WebSocket(url.toString());
    } catch (err) {
      this.#scheduleReconnect();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      clearInterval(this.keepAlive);
      this.keepAlive = setInterval(() => this.sendJSON({ type: 'ping' }), this.keepAliveMs);
      this.#setState('open');
    });
    ws.addEventListener('message', (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      let data;
      try { data = JSON.parse(ev.data); } catch { return; }
      if (data.type === 'pong') return;
      if (data.type === 'session') this.sessionId = data.session;
      this.dispatchEvent(new CustomEvent('message', { detail: { data } }));
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      clearInterval(this.keepAlive);
      this.ws = null;
      if (this.wanted) this.#scheduleReconnect();
      else this.#setState('closed');
    });
    // 'error' is always followed by 'close'; nothing to do here.
  }

  #scheduleReconnect() {
    this.attempt++;
    const base = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (this.attempt - 1));
    const delayMs = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#setState('reconnecting', { delayMs });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delayMs);
  }

  /** Reconnect immediately (e.g. the user pressed "retry"). */
  reconnectNow() {
    clearTimeout(this.timer);
    this.connect();
  }

  /** Opens a fresh connection now (the session resumes): e.g. to read with a changed calibration. */
  restart() {
    const old = this.ws;
    this.ws = null;
    if (old) old.close(1000, 'restart');
    clearInterval(this.keepAlive);
    this.attempt = 0;
    this.reconnectNow();
  }

  close() {
    this.wanted = false;
    clearTimeout(this.timer);
    clearInterval(this.keepAlive);
    if (this.ws) this.ws.close(1000, 'bye');
    this.ws = null;
    this.attempt = 0;
    this.#setState('closed');
  }

  /** Send a binary frame; false if not connected. */
  sendBinary(data) {
    if (!this.isOpen) return false;
    this.ws.send(data);
    return true;
  }

  /** Send a JSON text message; false if not connected. */
  sendJSON(obj) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }
}
