// Keep the API docs local: Redoc's footer always loads the Redocly logo from the company's CDN.
// Run before Redoc, so that no such request is ever made (the docs' policy refuses it anyway).
const REMOTE = /^https?:\/\/cdn\.redoc\.ly\//;
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function setLocalAttribute(name, value) {
  if (name === "src" && REMOTE.test(String(value))) return setAttribute.call(this, name, "data:,");
  return setAttribute.call(this, name, value);
};
const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
Object.defineProperty(HTMLImageElement.prototype, "src", {
  ...src,
  set(value) {
    src.set.call(this, REMOTE.test(String(value)) ? "data:," : value);
  },
});
