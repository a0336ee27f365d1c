// Differential oracle: renders templates with the handlebars.js CLOSER ran (4.0.12).
//
// A long-lived process: reads JSON lines {"template": "...", "context": {...}} on
// stdin and answers one JSON line per request, {"output": "..."} or
// {"error": "..."}, in order. Templates compile with noEscape (CLOSER printed
// values unescaped) and the comparison helpers CLOSER registered, with plain
// JavaScript semantics.
"use strict";

const readline = require("readline");
const Handlebars = require("handlebars");

const hb = Handlebars.create();

function withoutOptions(args) {
  return Array.prototype.slice.call(args, 0, -1);
}

hb.registerHelper("$eq", (a, b) => a === b);
hb.registerHelper("$ne", (a, b) => a !== b);
hb.registerHelper("$lt", (a, b) => a < b);
hb.registerHelper("$lte", (a, b) => a <= b);
hb.registerHelper("$gt", (a, b) => a > b);
hb.registerHelper("$gte", (a, b) => a >= b);
hb.registerHelper("$and", function () {
  const values = withoutOptions(arguments);
  return values.reduce((a, b) => a && b);
});
hb.registerHelper("$or", function () {
  const values = withoutOptions(arguments);
  return values.reduce((a, b) => a || b);
});

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    const render = hb.compile(request.template, { noEscape: true });
    answer = { output: render(request.context) };
  } catch (error) {
    answer = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
