// handoff browser client: follow one capture session from a desktop web app.
//
// Needs only what the session's creator hands the browser: events_url, the
// session's REST URL and its client_secret (never an API key). Uses the
// websocket; reconnects with backoff when it drops; after repeated failures
// falls back to long-polling the REST URL with If-None-Match. Stops by itself
// after a final status (completed, cancelled, expired). No dependencies.
//
//   import { watchSession } from "/static/handoff-client.js";
//   const watcher = watchSession({ eventsUrl, sessionUrl, clientSecret,
//     onChange: (session) => console.log(session.status) });
//   watcher.stop();  // whenever the page no longer cares

/** Statuses after which nothing more will happen to the session. */
export const FINAL_STATUSES = Object.freeze(["completed", "cancelled", "expired"]);

const DEFAULTS = {
  onChange: () => {},
  onError: () => {},
  onTransport: () => {},
  /** Websocket attempts that fail in a row before switching to long-polling. */
  socketAttempts: 3,
  /** First reconnect delay (ms); doubles each failure up to maxDelay, with jitter. */
  baseDelay: 500,
  maxDelay: 10000,
  /** Seconds each long-poll may be held by the server (at most 60). */
  pollWait: 25,
};

/**
 * Follow a session. ``onChange(session, {transport})`` is called once per new
 * version with the session JSON, as ``GET /api/v1/sessions/{id}`` returns it
 * (an expired session is just ``{id, status: "expired"}``). ``onError(error)``
 * is called when watching cannot go on (credentials refused, session gone).
 * ``onTransport(name)`` reports "websocket" or "polling".
 * Returns ``{stop(), get transport(), get session()}``.
 */
export function watchSession(options) {
  const settings = { ...DEFAULTS, ...options };
  const { clientSecret } = settings;
  if (!settings.eventsUrl || !settings.sessionUrl || !clientSecret) {
    throw new TypeError("watchSession needs eventsUrl, sessionUrl and clientSecret");
  }
  const sessionUrl = new URL(settings.sessionUrl, window.location.href);
  const eventsUrl = new URL(settings.eventsUrl, window.location.href);
  eventsUrl.protocol = eventsUrl.protocol.replace(/^http/, "ws");
  eventsUrl.searchParams.set("client_secret", clientSecret);

  let version = 0;
  let latest = null;
  let stopped = false;
  let transport = null;
  let socket = null;
  let failures = 0;
  let timer = null;
  let poller = null;

  function setTransport(name) {
    if (transport === name) return;
    transport = name;
    settings.onTransport(name);
  }

  function deliver(session, newVersion) {
    if (stopped || !session) return;
    const final = FINAL_STATUSES.includes(session.status);
    // An expired session's tombstone has no version: accept it once, as the last word.
    const fresh = newVersion > version || (final && latest?.status !== session.status);
    if (!fresh) return;
    version = Math.max(version, newVersion || 0);
    latest = session;
    try {
      settings.onChange(session, { transport });
    } finally {
      if (final) stop();
    }
  }

  function fail(error) {
    if (stopped) return;
    stop();
    settings.onError(error);
  }

  function delay() {
    const exponential = Math.min(settings.maxDelay, settings.baseDelay * 2 ** (failures - 1));
    return exponential * (0.75 + Math.random() * 0.5);
  }

  // -- websocket ------------------------------------------------------------

  function connect() {
    timer = null;
    if (stopped) return;
    if (typeof WebSocket !== "function") {
      startPolling();
      return;
    }
    let opened = false;
    try {
      socket = new WebSocket(eventsUrl);
    } catch {
      startPolling();
      return;
    }
    setTransport("websocket");
    socket.addEventListener("message", (event) => {
      // The server sends the current state at once; only then does the socket count as working
      // (a proxy may accept the upgrade and pass nothing).
      opened = true;
      failures = 0;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      deliver(message.session || { id: message.session_id, status: message.status }, message.version);
    });
    socket.addEventListener("close", () => {
      socket = null;
      if (stopped) return;
      if (!opened) failures += 1;
      // A browser cannot see why an upgrade failed (401, 404, 410): ask once over HTTP,
      // which also catches any change made while the socket was down.
      pollOnce().then((keepGoing) => {
        if (!keepGoing || stopped) return;
        if (failures >= settings.socketAttempts) startPolling();
        else timer = setTimeout(connect, opened ? settings.baseDelay : delay());
      });
    });
  }

  // -- long-polling -----------------------------------------------------------

  async function request(wait) {
    const url = new URL(sessionUrl);
    if (wait) url.searchParams.set("wait", String(wait));
    const headers = { Authorization: `Bearer ${clientSecret}`, Accept: "application/json" };
    if (version > 0) headers["If-None-Match"] = `"${version}"`;
    poller = new AbortController();
    const response = await fetch(url, { headers, cache: "no-store", signal: poller.signal });
    if (response.status === 304) return true;
    if (response.ok) {
      const session = await response.json();
      const tag = Number((response.headers.get("ETag") || "").replaceAll('"', ""));
      deliver(session, session.version || tag || 0);
      return !stopped;
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    const error = new Error(body?.error || `The server answered ${response.status}.`);
    error.status = response.status;
    error.code = body?.code;
    if (response.status === 410) {
      deliver({ id: latest?.id, status: body?.status || "expired" }, version + 1);
      return false;
    }
    if ([401, 403, 404].includes(response.status)) {
      fail(error);
      return false;
    }
    throw error;
  }

  /** One immediate GET; false when watching is over. Network errors count as "go on". */
  async function pollOnce() {
    try {
      return await request(0);
    } catch (error) {
      return !stopped;
    }
  }

  async function startPolling() {
    setTransport("polling");
    failures = 0;
    while (!stopped) {
      try {
        if (!(await request(settings.pollWait))) return;
        failures = 0;
      } catch {
        if (stopped) return;
        failures += 1;
        await new Promise((resolve) => {
          timer = setTimeout(resolve, delay());
        });
      }
    }
  }

  // -- control ----------------------------------------------------------------

  function stop() {
    if (stopped) return;
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    poller?.abort();
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
    socket = null;
  }

  connect();
  return {
    stop,
    get transport() {
      return transport;
    },
    get session() {
      return latest;
    },
  };
}
