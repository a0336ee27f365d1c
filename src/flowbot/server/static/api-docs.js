// /api/docs: Swagger UI (static/swagger-ui/, vendored from npm's swagger-ui-dist) on this
// server's OpenAPI document. Nothing is fetched from another host: no validator badge
// (validator.swagger.io), no fonts, no CDN.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    deepLinking: true,
    docExpansion: "list",
    filter: true,
    // the schemas are under each operation; the list at the end starts folded
    defaultModelsExpandDepth: 0,
    defaultModelExpandDepth: 3,
    defaultModelRendering: "model",
    displayRequestDuration: true,
    persistAuthorization: false,
  });
})();
