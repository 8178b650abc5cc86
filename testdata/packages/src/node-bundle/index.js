var __commonJS = (cb, mod) => function __require() {
  return mod || (0, cb[Object.keys(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
};

// node_modules/underscore/underscore-umd.js
var require_underscore = __commonJS({
  "node_modules/underscore/underscore-umd.js"(exports2, module2) {
    var VERSION = "1.12.0";
    module2.exports = { VERSION, uniq: (a) => [...new Set(a)] };
  }
});

// node_modules/node-fetch/lib/index.js
var require_lib = __commonJS({
  "node_modules/node-fetch/lib/index.js"(exports2, module2) {
    module2.exports = function fetch() {};
  }
});

// src/handler.js
var _ = require_underscore();
exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(_.uniq(event.items || [])) });
