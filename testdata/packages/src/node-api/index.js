const _ = require("lodash");
const minimist = require("minimist");
exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(_.pick(minimist(event.args || []), ["name"])) });
