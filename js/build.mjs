// Bundles each widget into ONE self-contained ES module under workbench/ui/static/.
// anywidget (JupyterLab) and Panel's AnyWidgetComponent load the file from a Blob URL, so the output
// must have no relative imports and no network URL: users may be offline.
import { readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const outdir = new URL("../workbench/ui/static/", import.meta.url).pathname;
const license = readFileSync(new URL("node_modules/wavesurfer.js/LICENSE", import.meta.url), "utf8");

// wavesurfer compares an element's namespace with the XHTML namespace URI. It is an identifier, never
// fetched, but we keep the bundle free of any "http" string so a plain grep can prove "no network URL".
const noNamespaceUrl = {
  name: "no-namespace-url",
  setup(b) {
    b.onLoad({ filter: /wavesurfer\.js[\\/]dist[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8").replace(
        /(["'])http:\/\/www\.w3\.org\/1999\/xhtml\1/g,
        "document.documentElement.namespaceURI",
      );
      return { contents: text, loader: "js" };
    });
  },
};

for (const name of ["region_picker", "recorder"]) {
  const outfile = `${outdir}${name}.js`;
  await build({
    entryPoints: [new URL(`src/${name}.js`, import.meta.url).pathname],
    bundle: true,
    format: "esm",
    target: "es2020",
    minify: true,
    legalComments: "none",
    banner: { js: name === "region_picker" ? `/* workbench ${name} widget. Bundles wavesurfer.js:\n${license}*/` : "" },
    plugins: [noNamespaceUrl],
    outfile,
  });
  const code = readFileSync(outfile, "utf8");
  const problems = [];
  if (/https?:\/\//.test(code)) problems.push("a network URL");
  if (/\bimport\s*[("'{*]|\bfrom\s*["']\.{0,2}\//.test(code)) problems.push("an import");
  if (problems.length) throw new Error(`${outfile} contains ${problems.join(" and ")}`);
  writeFileSync(outfile, code);
  console.log(`${outfile}: ${code.length} bytes`);
}
