// The "Add article" page: one of three sources (link, file, pasted text) is sent to
// POST /api/v1/articles/ with preview=true; the draft comes back cleaned, with its detected
// language; the user corrects the title or language and saves; the page opens the annotator.
// A link is fetched by a worker: the page polls the fetch until its draft is ready.
// Every rule (who may add, what is refused and why) is the server's; this page only shows it.
import { errorText } from "./annotator/api.js";
import { $, h, serverData } from "./annotator/dom.js";

const config = serverData("add-article-config");
const TABS = ["link", "file", "text"];
let pending = null; // what "Save" sends again: {json} or {form}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function send(url, { json, form, method = "POST" } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: json !== undefined ? JSON.stringify(json) : form,
    });
  } catch (error) {
    return { status: 0, ok: false, data: { detail: `The server could not be reached (${error}).` } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { status: response.status, ok: response.ok, data };
}

function say(text, { error = false } = {}) {
  const box = $("add-status");
  box.replaceChildren(text ? h("p", { class: error ? "error" : "", text }) : "");
}

function selectTab(name) {
  for (const tab of TABS) {
    const on = tab === name;
    const button = $(`tab-${tab}`);
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.tabIndex = on ? 0 : -1;
    $(`panel-${tab}`).hidden = !on;
  }
  $("add-preview").hidden = true;
  pending = null;
  say("");
}

function showPreview(draft) {
  $("preview-title").value = draft.title;
  const select = $("preview-language");
  const codes = config.languages.includes(draft.language) ? config.languages : [draft.language, ...config.languages];
  select.replaceChildren(...codes.map((code) => h("option", { value: code, text: code, selected: code === draft.language })));
  const share = Math.round((draft.language_confidence || 0) * 100);
  $("preview-detected").textContent = `Detected: ${draft.language} (${share}% confident)`;
  const meta = [
    draft.source_name && `Source: ${draft.source_name}`,
    draft.author && `Author: ${draft.author}`,
    draft.published_on && `Published: ${draft.published_on}`,
    draft.source_url && `Link: ${draft.source_url}`,
  ].filter(Boolean);
  $("preview-meta").textContent = meta.join(" · ");
  const body = $("preview-body");
  body.setAttribute("lang", draft.language);
  body.replaceChildren(...draft.body.split("\n\n").map((paragraph) => h("p", { text: paragraph })));
  $("add-preview").hidden = false;
  $("preview-title").focus();
}

async function pollFetch(url) {
  for (;;) {
    const result = await send(url, { method: "GET" });
    if (!result.ok) return say(errorText(result), { error: true });
    const job = result.data;
    if (job.status === "ready" || job.status === "done") {
      pending = { json: { fetch: job.id } };
      say("");
      return showPreview(job.draft);
    }
    if (job.status === "failed") return say(job.error, { error: true });
    say(job.status === "queued" ? "Waiting for a worker to fetch the page…" : "Fetching the page…");
    await new Promise((resolve) => setTimeout(resolve, config.poll_ms));
  }
}

async function preview(event, source) {
  event.preventDefault();
  $("add-preview").hidden = true;
  let result;
  if (source === "file") {
    const file = $("add-file").files[0];
    if (!file) return say("Choose a file first.", { error: true });
    const form = new FormData();
    form.append("file", file);
    form.append("preview", "true");
    say(`Reading ${file.name}…`);
    result = await send(config.articles_api, { form });
    pending = { file };
  } else {
    const json = source === "url" ? { url: $("add-url").value } : { text: $("add-text").value };
    say(source === "url" ? "Asking for the page…" : "Cleaning the text…");
    result = await send(config.articles_api, { json: { ...json, preview: true } });
    pending = { json };
  }
  if (result.status === 202) return pollFetch(result.data.url);
  if (!result.ok) {
    pending = null;
    return say(errorText(result), { error: true });
  }
  say("");
  showPreview(result.data.draft);
}

async function save(event) {
  event.preventDefault();
  if (!pending) return;
  const fix = { title: $("preview-title").value, language: $("preview-language").value };
  let result;
  if (pending.file) {
    const form = new FormData();
    form.append("file", pending.file);
    form.append("title", fix.title);
    form.append("language", fix.language);
    result = await send(config.articles_api, { form });
  } else {
    result = await send(config.articles_api, { json: { ...pending.json, ...fix } });
  }
  if (!result.ok) return say(errorText(result), { error: true });
  say(result.status === 201 ? "Saved: opening the annotator…" : "Updated: opening the annotator…");
  window.location.assign(config.annotator_url.replace("/0/", `/${result.data.id}/`));
}

for (const tab of TABS) {
  $(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
}
$("form-link").addEventListener("submit", (event) => preview(event, "url"));
$("form-file").addEventListener("submit", (event) => preview(event, "file"));
$("form-text").addEventListener("submit", (event) => preview(event, "text"));
$("form-save").addEventListener("submit", save);
$("add-article").dataset.ready = "1";
