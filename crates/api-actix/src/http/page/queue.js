// The queue page: sign in, join the event's waiting room, watch the place come up, book when
// admitted. Plain script, no framework and no build step, served beside the page under a strict
// CSP: nothing here evaluates strings or writes HTML, every text goes in through textContent.
"use strict";

/** How often the room's public numbers are read again, in ms. */
const ROOM_REFRESH_MS = 5000;

/** The shortest wait between two polls for the admission token, whatever the server hints. */
const MIN_POLL_SECONDS = 1;

/** The wait before trying again after a failure that came without a `Retry-After`. */
const RETRY_SECONDS = 3;

/**
 * Everything kept across reloads, under one key of sessionStorage (this tab only, gone when it
 * closes): `{token, email, events: {[eventId]: {joined, admission: {token, expiresAt, position}, booked}}}`.
 * The place itself is the server's, per account: a reload asks for it again by joining again,
 * which answers the same place.
 */
const STORE_KEY = "queue.session";

const eventId = (/^\/events\/(\d+)\/queue\/?$/.exec(location.pathname) ?? [])[1] ?? null;

const $ = (id) => document.getElementById(id);

let pollTimer = null;
/** When the estimated wait runs out (ms since the epoch), or null while there is no estimate. */
let etaDeadline = null;

// ---- storage ----

function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "null");
  } catch {
    return null;
  }
}

function saveSession(session) {
  sessionStorage.setItem(STORE_KEY, JSON.stringify(session));
}

/** This event's part of the session (created empty). */
function eventState(session) {
  session.events ??= {};
  session.events[eventId] ??= {};
  return session.events[eventId];
}

function updateEventState(change) {
  const session = loadSession();
  if (session === null) return;
  Object.assign(eventState(session), change);
  saveSession(session);
}

// ---- HTTP ----

/**
 * One request to the service. Never rejects: a network failure is status 0, so that no answer
 * (a 202, a 404, a dropped connection) ends up as an unhandled rejection.
 */
async function request(method, path, { token, body, headers } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { status: 0, body: null, retryAfter: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // An empty or non-JSON body: the status says enough.
  }
  return { status: response.status, body: data, retryAfter: retryAfter(response.headers.get("Retry-After")) };
}

/** `Retry-After` in seconds, given as seconds or as an HTTP date; null when absent or garbled. */
function retryAfter(value) {
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

/** The machine-readable code of an error answer. */
function codeOf(reply) {
  return reply.body?.code ?? null;
}

/** What to tell the user about a failed request. */
function messageOf(reply, fallback) {
  if (reply.status === 0) return "The service could not be reached. Check your connection.";
  const text = reply.body?.error;
  return typeof text === "string" && text !== "" ? text : `${fallback} (HTTP ${reply.status}).`;
}

// ---- display ----

function showError(text) {
  $("error").textContent = text;
}

function clearError() {
  $("error").textContent = "";
}

/** Sets the live region's text, only when it changes: the same text set again is announced again. */
function announce(text) {
  const status = $("status");
  if (status.textContent !== text) status.textContent = text;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? "–"
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

function formatWait(seconds) {
  if (seconds <= 0) return "any moment now";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `about ${h} h ${m} min`;
  if (m > 0) return `about ${m} min ${String(s).padStart(2, "0")} s`;
  return `about ${s} s`;
}

/** The countdown's tick: outside the live region, so that it is not read out every second. */
function renderEta() {
  if (etaDeadline === null) return;
  $("eta").textContent = formatWait(Math.ceil((etaDeadline - Date.now()) / 1000));
}

// ---- the room's public numbers ----

async function refreshRoom() {
  const reply = await request("GET", `/events/${eventId}/queue/status`);
  if (reply.status === 200) {
    const room = reply.body;
    $("room-serving").textContent = String(room.serving);
    $("room-joined").textContent = String(room.joined);
    $("room-opens").textContent = formatTime(room.opensAt);
    $("room-starts").textContent = formatTime(room.saleStartsAt);
    if (room.paused) {
      $("room-state").textContent = "The queue is paused for now; places are kept.";
    } else if (!room.open) {
      $("room-state").textContent = `The room opens at ${formatTime(room.opensAt)}.`;
    } else if (!room.started) {
      $("room-state").textContent = `The room is open. The sale starts at ${formatTime(room.saleStartsAt)}.`;
    } else {
      $("room-state").textContent = `The sale has started: ${room.admissionsPerSecond} admitted per second.`;
    }
  } else if (reply.status === 404) {
    $("room-state").textContent = "This event has no waiting room.";
    return;
  } else {
    $("room-state").textContent = "The room's numbers could not be read; trying again.";
  }
  setTimeout(refreshRoom, ROOM_REFRESH_MS);
}

// ---- signing in ----

function showSignIn() {
  $("queue-section").hidden = true;
  $("sign-in-section").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  clearError();
  // Both fields are `required`: the browser does not submit the form while one is empty.
  const email = $("email").value.trim();
  const password = $("password").value;
  $("sign-in").disabled = true;
  const reply = await request("POST", "/login", { body: { email, password } });
  $("sign-in").disabled = false;
  if (reply.status !== 200 || typeof reply.body?.token !== "string") {
    showError(messageOf(reply, "Signing in failed"));
    $("password").focus();
    return;
  }
  $("password").value = "";
  saveSession({ token: reply.body.token, email, events: {} });
  resume();
}

/** The login token was refused: forget it, keep nothing that belonged to it. */
function signedOut() {
  clearTimeout(pollTimer);
  etaDeadline = null;
  sessionStorage.removeItem(STORE_KEY);
  showError("Your sign-in has expired. Sign in and join again: your place in the queue is kept.");
  showSignIn();
}

// ---- the place ----

/** Signed in: back to where this tab was, or ready to join. */
function resume() {
  const session = loadSession();
  $("sign-in-section").hidden = true;
  $("queue-section").hidden = false;
  $("signed-in-as").textContent = `Signed in as ${session.email}.`;
  const state = eventState(session);
  const admission = state.admission;
  if (state.booked) {
    showBooked(state.booked);
  } else if (admission && Date.parse(admission.expiresAt) > Date.now()) {
    showAdmitted(admission);
  } else if (state.joined) {
    join();
  } else {
    $("join").hidden = false;
  }
}

async function join() {
  clearError();
  const session = loadSession();
  $("join").disabled = true;
  const reply = await request("POST", `/events/${eventId}/queue`, { token: session.token });
  $("join").disabled = false;
  if (reply.status === 200 || reply.status === 201) {
    updateEventState({ joined: true });
    $("join").hidden = true;
    onPlace(reply.body, null);
  } else if (reply.status === 401) {
    signedOut();
  } else {
    $("join").hidden = false;
    showError(messageOf(reply, "Joining the queue failed"));
  }
}

/** Shows a place, then asks for the token when the server says to. */
function onPlace(place, retryAfterSeconds) {
  if (place.state === "expired") {
    showExpired();
    return;
  }
  $("place").hidden = false;
  $("position").textContent = place.position === null ? "drawn when the sale starts" : String(place.position);
  $("serving").textContent = String(place.serving);
  $("ahead").textContent = place.ahead === null ? "–" : String(place.ahead);
  if (place.etaSeconds === null) {
    etaDeadline = null;
    $("eta").textContent = place.state === "drawing" ? "after the draw" : "paused";
  } else {
    etaDeadline = Date.now() + place.etaSeconds * 1000;
    renderEta();
  }
  announce(describe(place));
  if (place.state === "admitted") {
    schedulePoll(0);
  } else {
    schedulePoll(Math.max(MIN_POLL_SECONDS, retryAfterSeconds ?? place.pollAfterSeconds ?? RETRY_SECONDS));
  }
}

/** What the live region says of a place not yet admitted with a token. */
function describe(place) {
  switch (place.state) {
    case "drawing":
      return "You are in the room. Places are drawn at random when the sale starts; yours will show here then.";
    case "admitted":
      return "It's your turn: getting your admission…";
    default:
      return (
        `You are number ${place.position} in the queue, ${place.ahead} ahead of you.` +
        (place.etaSeconds === null ? " The queue is paused for now." : "")
      );
  }
}

function schedulePoll(seconds) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, seconds * 1000);
}

async function poll() {
  const session = loadSession();
  if (session === null) return;
  const reply = await request("POST", `/events/${eventId}/queue/token`, { token: session.token });
  if (reply.status === 200) {
    clearError();
    const admission = { token: reply.body.token, expiresAt: reply.body.expiresAt, position: reply.body.position };
    updateEventState({ admission });
    showAdmitted(admission);
  } else if (reply.status === 202) {
    clearError();
    onPlace(reply.body, reply.retryAfter);
  } else if (reply.status === 410) {
    showExpired();
  } else if (reply.status === 404 && codeOf(reply) === "not_in_queue") {
    updateEventState({ joined: false });
    $("place").hidden = true;
    $("join").hidden = false;
    announce("You are not in the queue: join it again.");
  } else if (reply.status === 401) {
    signedOut();
  } else {
    showError(`${messageOf(reply, "Checking your place failed")} Trying again…`);
    schedulePoll(Math.max(MIN_POLL_SECONDS, reply.retryAfter ?? RETRY_SECONDS));
  }
}

function showAdmitted(admission) {
  clearTimeout(pollTimer);
  etaDeadline = null;
  $("place").hidden = false;
  $("position").textContent = String(admission.position);
  $("ahead").textContent = "0";
  $("eta").textContent = "no wait";
  $("join").hidden = true;
  announce(`You're in! Book your ticket before ${formatTime(admission.expiresAt)}.`);
  $("book").hidden = false;
  $("book").disabled = false;
}

function showExpired() {
  clearTimeout(pollTimer);
  etaDeadline = null;
  $("eta").textContent = "–";
  $("book").hidden = true;
  announce("Your place came up but was not used in time, so it has expired.");
}

// ---- booking ----

async function book() {
  clearError();
  const session = loadSession();
  const admission = eventState(session).admission;
  if (!admission) return;
  $("book").disabled = true;
  const reply = await request("POST", "/book", {
    token: session.token,
    body: { eventId: Number(eventId) },
    headers: { "X-Admission-Token": admission.token },
  });
  if (reply.status === 201) {
    const booking = reply.body.booking;
    const result =
      booking.status === "PENDING"
        ? `The event is sold out: booking ${booking.id} is PENDING, number ${booking.waitlistPosition} on the waiting list.`
        : `Booked: booking ${booking.id} is ${booking.status}.`;
    updateEventState({ booked: result });
    showBooked(result);
  } else if (reply.status === 401) {
    signedOut();
  } else if (reply.status === 403 && ["admission_required", "admission_invalid"].includes(codeOf(reply))) {
    // The admission lapsed or was refused: the place may still be valid for a new one.
    updateEventState({ admission: null });
    $("book").hidden = true;
    showError(`${messageOf(reply, "The admission was refused")} Asking for a new admission…`);
    schedulePoll(0);
  } else {
    $("book").disabled = false;
    showError(messageOf(reply, "Booking failed"));
  }
}

/** Booked: what came of it, also after a reload (the admission is spent). */
function showBooked(result) {
  $("join").hidden = true;
  $("book").hidden = true;
  $("booking-result").textContent = result;
  announce("Your booking is done.");
}

// ---- start ----

function start() {
  if (eventId === null) {
    $("room-state").textContent = "This address names no event.";
    return;
  }
  $("sign-in-form").addEventListener("submit", signIn);
  $("join").addEventListener("click", join);
  $("book").addEventListener("click", book);
  setInterval(renderEta, 1000);
  refreshRoom();
  if (loadSession() === null) {
    showSignIn();
  } else {
    resume();
  }
}

start();
