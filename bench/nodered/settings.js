// bench/nodered/settings.js - Node-RED's settings for benchmark 3
// (bench/README.md): Node-RED's defaults, with the editor on loopback only
// and the port from the environment (NR_UI_PORT, picked at run time). The
// flow is bench/nodered/edge6-flow.json, copied into the user dir.
module.exports = {
    uiHost: "127.0.0.1",
    uiPort: parseInt(process.env.NR_UI_PORT, 10) || 1880,
    flowFile: "flows.json",
    flowFilePretty: true,
    credentialSecret: false,
    logging: { console: { level: "info", metrics: false, audit: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } }
};
