"""Static files with hashed names, module imports included.

The annotator is a set of native ES modules. Django's manifest storage rewrites the names in
``import ... from "./x.js"`` only when asked to; without it a hashed entry module would load
its modules under their plain names, which are never cache-busted.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
