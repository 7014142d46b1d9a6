// The API description (/api/v1/openapi.json) shown for people: one section per operation with its
// parameters, request body and answers. Written out as text nodes, never as HTML from the document.
(function () {
  "use strict";
  var doc;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function resolve(schema) {
    if (schema && schema.$ref) {
      return schema.$ref.replace(/^#\//, "").split("/").reduce(function (at, key) { return at[key]; }, doc);
    }
    return schema || {};
  }

  // A schema in a few words: "integer (0 to 2147483647)", "one of: plan, do", "text or null"...
  function summary(schema) {
    schema = resolve(schema);
    var alternatives = schema.anyOf || schema.oneOf;
    if (alternatives) { return alternatives.map(summary).join(" or "); }
    if (schema.enum) { return "one of: " + schema.enum.join(", "); }
    var types = [].concat(schema.type || "any").map(function (t) { return t === "string" ? "text" : t; });
    var words = types.join(" or ");
    if (schema.format) { words += " (" + schema.format + ")"; }
    if (schema.maxLength !== undefined) { words += ", at most " + schema.maxLength + " characters"; }
    if (schema.minimum !== undefined) { words += " (" + schema.minimum + " to " + schema.maximum + ")"; }
    if (schema.maxItems !== undefined) { words += ", at most " + schema.maxItems; }
    if (schema.type === "array") { words += " of " + summary(schema.items); }
    return words;
  }

  // An object's fields as a nested list; other schemas as their summary.
  function shape(schema) {
    schema = resolve(schema);
    var alternatives = schema.anyOf || schema.oneOf;
    if (alternatives && alternatives.some(function (s) { return resolve(s).type === "object" || resolve(s).type === "array"; })) {
      return el("ul", {}, alternatives.map(function (s) { return el("li", {}, ["either: ", shape(s)]); }));
    }
    if (schema.type === "array" && resolve(schema.items).type === "object") {
      return el("span", {}, ["a list of: ", shape(schema.items)]);
    }
    if (schema.type !== "object" || !schema.properties) { return el("span", {}, [summary(schema)]); }
    var required = schema.required || [];
    return el("ul", { "class": "api-fields" }, Object.keys(schema.properties).map(function (name) {
      return el("li", {}, [el("code", {}, [name]), required.indexOf(name) < 0 ? " (optional): " : ": ",
                           shape(schema.properties[name])]);
    }));
  }

  function operation(path, method, op) {
    var parts = [el("h3", { id: op.operationId }, [el("code", {}, [method.toUpperCase() + " " + path])]),
                 el("p", {}, [op.summary])];
    if (op.description) { parts.push(el("p", {}, [op.description])); }
    parts.push(el("p", {}, [op.security && op.security.length === 0
      ? "No credentials needed." : "Needs a bearer token (or the site's session)."]));
    if (op.parameters.length) {
      parts.push(el("table", {}, [
        el("caption", {}, ["Parameters"]),
        el("thead", {}, [el("tr", {}, ["Name", "In", "Value"].map(function (h) { return el("th", { scope: "col" }, [h]); }))]),
        el("tbody", {}, op.parameters.map(function (p) {
          return el("tr", {}, [el("td", {}, [el("code", {}, [p.name])]), el("td", {}, [p.in]), el("td", {}, [summary(p.schema)])]);
        }))]));
    }
    if (op.requestBody) {
      parts.push(el("h4", {}, [op.requestBody.required ? "JSON body" : "JSON body (optional)"]),
                 shape(op.requestBody.content["application/json"].schema));
    }
    parts.push(el("h4", {}, ["Answers"]), el("dl", { "class": "api-answers" }, [].concat.apply([], Object.keys(op.responses).map(function (status) {
      var answer = op.responses[status], body = answer.content && answer.content["application/json"];
      return [el("dt", {}, [status]), el("dd", {}, [answer.description].concat(body ? [shape(body.schema)] : []))];
    }))));
    return el("section", { "class": "api-operation" }, parts);
  }

  function show(description) {
    doc = description;
    var target = document.getElementById("api-description"), byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method], tag = (op.tags || ["Other"])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(path, method, op));
      });
    });
    target.textContent = "";
    target.appendChild(el("p", {}, [doc.info.description]));
    Object.keys(byTag).sort().forEach(function (tag) {
      target.appendChild(el("section", { "aria-label": tag }, [el("h2", {}, [tag])].concat(byTag[tag])));
    });
  }

  fetch("/api/v1/openapi.json", { credentials: "same-origin" })
    .then(function (answer) { if (!answer.ok) { throw new Error(answer.status); } return answer.json(); })
    .then(show)
    .catch(function (error) {
      var target = document.getElementById("api-description");
      target.textContent = "The description could not be read (" + error.message + ").";
    });
})();
