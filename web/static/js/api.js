// HTTP helpers for the SignBridge API (docs/api.md). Same origin only.

export class ApiError extends Error {
  constructor(message, { status = 0, errorType = null, body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errorType = errorType;
    this.body = body;
  }
}

async function parseResponse(res) {
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!res.ok) {
    const msg = (body && body.error) || text.trim().slice(0, 200) || res.statusText || 'request failed';
    throw new ApiError(`${res.status} ${msg}`, { status: res.status, errorType: body && body.error_type, body });
  }
  if (body === null) throw new ApiError(`unexpected answer (not JSON) from ${res.url}`, { status: res.status });
  return body;
}

async function request(url, init = {}) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin', ...init, headers: { Accept: 'application/json', ...(init.headers || {}) } });
  } catch (err) {
    throw new ApiError(`network error: ${err.message || err}`, { status: 0, errorType: 'network' });
  }
  return parseResponse(res);
}

export const getJSON = (url) => request(url);
export const postJSON = (url, body) => request(url, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});
export const postForm = (url, form) => request(url, { method: 'POST', body: form });

const withProfile = (path, profile) => (profile ? `${path}?profile=${encodeURIComponent(profile)}` : path);

/** POST /predict-image with the photo in multipart field `file`; `profile`: read with its calibration. */
export function predictImage(file, { language = 'ASL', profile = null } = {}) {
  const form = new FormData();
  form.append('file', file, file.name || 'photo.jpg');
  form.append('language', language);
  return postForm(withProfile('/predict-image', profile), form);
}

/** POST /predict-landmarks: the letter of hands found on this device (on-device mode); no image is sent. */
export const predictLandmarks = (frame, { profile = null } = {}) => postJSON(withProfile('/predict-landmarks', profile), frame);

/** POST /text-to-sign with form field `text`, url-encoded (the server also takes multipart and JSON). */
export const textToSign = (text) => request('/text-to-sign', {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ text }).toString(),
});

export const getHealth = () => request('/health');
/** GET /api: service info, including the sentence builder's timings (`sentence.hold_ms`). */
export const getInfo = () => getJSON('/api');
/** GET /api/progress; `tzOffsetMin` (minutes east of UTC) counts the daily goal's days in the learner's zone. */
export const getProgress = (profile, tzOffsetMin = null) => getJSON(
  `/api/progress?profile=${encodeURIComponent(profile)}${tzOffsetMin === null ? '' : `&tz_offset_min=${tzOffsetMin}`}`,
);
/** POST /api/progress/activity: a finished lesson, review or timed drill. */
export const postActivity = (activity) => postJSON('/api/progress/activity', activity);
export const postAttempt = (attempt) => postJSON('/api/progress/attempt', attempt);

// Classes (docs/api.md): a teacher's key travels in the X-Teacher-Key header, never in a URL.
const teacher = (key) => ({ headers: { 'X-Teacher-Key': key } });
export const createClass = (name) => postJSON('/api/classes', { name });
export const getClass = (code, key) => request(`/api/classes/${encodeURIComponent(code)}`, teacher(key));
export const removeMember = (code, member, key) => request(
  `/api/classes/${encodeURIComponent(code)}/members/${encodeURIComponent(member)}`, { method: 'DELETE', ...teacher(key) },
);
export const myClasses = (profile) => getJSON(`/api/classes?profile=${encodeURIComponent(profile)}`);
export const joinClass = (code, profile, name) => postJSON(`/api/classes/${encodeURIComponent(code)}/join`, { profile, name });
export const leaveClass = (code, profile) => postJSON(`/api/classes/${encodeURIComponent(code)}/leave`, { profile });

// A learner's calibration (docs/api.md): examples per label, landmarks only.
export const getCalibration = (profile, { landmarks = false } = {}) => getJSON(
  `/api/calibration?profile=${encodeURIComponent(profile)}${landmarks ? '&landmarks=true' : ''}`,
);
/** Stores `hands` (each 21 [x, y, z] landmarks) as examples of `label`; `replace` redoes the label. */
export const postExamples = (body) => postJSON('/api/calibration/examples', body);
export const deleteCalibration = (profile, label = null) => request(
  `/api/calibration?profile=${encodeURIComponent(profile)}${label ? `&label=${encodeURIComponent(label)}` : ''}`,
  { method: 'DELETE' },
);
