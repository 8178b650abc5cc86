"use strict";
// node_modules/handlebars/dist/cjs/handlebars/base.js
var require_base = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/base.js"(exports2) {
    var VERSION = "4.5.3";
    exports2.VERSION = VERSION;
  }
});

// node_modules/node-fetch/lib/index.js
var require_lib = __commonJS({});

// node_modules/underscore/underscore.js
var require_underscore = __commonJS({
  "node_modules/underscore/underscore.js"(exports2, module2) {
    var VERSION = '1.12.0';
  }
});

// src/handler.js
exports.handler = async () => ({});
