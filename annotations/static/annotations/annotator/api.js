// The REST API client: JSON, the CSRF token, and versions sent as If-Match ETags.

export class NetworkError extends Error {}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/** One request; `version` goes out as If-Match, so a stale write is refused with 412. */
export async function request(method, url, { body, version } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (version !== undefined && version !== null) headers["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(String(error));
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return { status: response.status, ok: response.ok, data, etag: response.headers.get("ETag") };
}

// Fields worth naming in a message; offsets and ids are the page's business, not the analyst's.
const FIELD_NAMES = { url: "URL", title: "Title", excerpt: "Excerpt", note: "Note", stance: "Stance", verdict: "Verdict", rationale: "Rationale" };

/** Turn a DRF error body into one readable line. */
export function errorText(result) {
  const data = result.data;
  if (!data) return `The server answered ${result.status}.`;
  if (typeof data === "string") return data;
  if (Array.isArray(data)) return data.join(" ");
  if (data.detail) return String(data.detail);
  return Object.entries(data)
    // codes are for programs, the messages for people; "current" is the newer claim on a 412
    .filter(([field]) => !["codes", "code", "current"].includes(field))
    .map(([field, messages]) => `${FIELD_NAMES[field] ? `${FIELD_NAMES[field]}: ` : ""}${[].concat(messages).join(" ")}`)
    .join(" ");
}

/** Every page of a list endpoint. */
export async function getAll(url) {
  const rows = [];
  let next = url;
  while (next) {
    const result = await request("GET", next);
    if (!result.ok) throw new Error(errorText(result));
    if (Array.isArray(result.data)) return rows.concat(result.data);
    rows.push(...result.data.results);
    next = result.data.next;
  }
  return rows;
}
