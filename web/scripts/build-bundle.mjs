// Builds the files a web team pins (npm run build [-- --outdir DIR], default web/dist/):
//   rasa-chat-<version>.min.js   widget/rasa-chat.js with socket.io-client built in, minified
//   rasa-chat-<version>.min.css  widget/rasa-chat.css, minified; the JS loads it with its hash
//   manifest.json                file names, sha384 integrity values and bundled packages
// <version> is "version" in web/package.json. Works offline from node_modules, and the same
// sources and lockfile give byte-identical files (tests/test_widget_bundle.py rebuilds to check).
import { build, transform, version as esbuildVersion } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const read = (path) => readFileSync(join(web, path), "utf8");
const integrity = (text) => "sha384-" + createHash("sha384").update(text).digest("base64");

const outFlag = process.argv.indexOf("--outdir");
const outdir = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(web, "dist");
const { version } = JSON.parse(read("package.json"));
const widget = read("widget/rasa-chat.js");

// The version a page reads from RasaChat.version must be the one in the file name.
const declared = /const VERSION = "([^"]+)"/.exec(widget);
if (!declared || declared[1] !== version) {
  console.error(`widget/rasa-chat.js has VERSION ${declared && declared[1]}, package.json ${version}: make them equal`);
  process.exit(1);
}

const names = { js: `rasa-chat-${version}.min.js`, css: `rasa-chat-${version}.min.css` };
const banner = `/*! Rasa chat widget ${version} | web/widget/ of the career-advice assistant */`;

const css = (await transform(read("widget/rasa-chat.css"), { loader: "css", minify: true, banner })).code;

// The widget stays a plain script; the bundle only puts __rasaChatBundle in its scope, which the
// widget checks for (socket.io-client from here instead of <script>, and the pinned stylesheet).
const entry = `import { io } from "socket.io-client";
const __rasaChatBundle = { io, stylesheet: ${JSON.stringify(names.css)}, stylesheetIntegrity: ${JSON.stringify(integrity(css))} };
${widget}`;

const result = await build({
  stdin: { contents: entry, resolveDir: web, sourcefile: "widget/rasa-chat.js", loader: "js" },
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  legalComments: "none", // licences are named in the banner instead
  metafile: true,
  write: false,
  logLevel: "warning",
});

// Every npm package that ended up in the file, for the banner (licences) and the manifest.
const bundled = {};
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!match || bundled[match[1]]) continue;
  const pkg = JSON.parse(read(`node_modules/${match[1]}/package.json`));
  bundled[match[1]] = { version: pkg.version, license: pkg.license };
}
const packages = Object.keys(bundled).sort();
const credits = packages.map((name) => `${name} ${bundled[name].version} (${bundled[name].license})`).join(", ");
const js = `${banner}\n/*! includes ${credits} */\n${result.outputFiles[0].text}`;

const manifest = {
  version,
  files: { [names.js]: integrity(js), [names.css]: integrity(css) },
  bundled: Object.fromEntries(packages.map((name) => [name, bundled[name].version])),
  built_with: `esbuild ${esbuildVersion}`,
};

mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, names.js), js);
writeFileSync(join(outdir, names.css), css);
writeFileSync(join(outdir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`${outdir}: ${names.js} ${manifest.files[names.js]}`);
