// Swagger UI on the merged document; "Authorize" takes a bearer token that "Try it out" then sends.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "StandaloneLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    // no call to the public validator service: nothing leaves this origin
    validatorUrl: null,
    displayOperationId: true,
    displayRequestDuration: true,
    showExtensions: false,
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false
  });
});
