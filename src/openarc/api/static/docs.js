// Starts Swagger UI on /docs over this server's OpenAPI document (a file of its own, so that the
// page's Content-Security-Policy allows scripts from this origin only). The key given to Authorize
// stays in the page: it is not kept after a reload.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    validatorUrl: null,
    displayRequestDuration: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    filter: true,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
