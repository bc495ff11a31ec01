// Extracts the request/response model definitions of Oracle's TypeScript SDK packages (npm
// oci-core, oci-identity, oci-resourcesearch) into one JSON file the OCI fake loads at start.
// The SDK's .d.ts files are parsed with the TypeScript compiler itself (npm typescript), not
// with regular expressions. Usage: node extract_models.js NODE_MODULES_DIR OUT.json
"use strict";
const fs = require("fs");
const path = require("path");

const [nodeModules, outFile] = process.argv.slice(2);
if (!nodeModules || !outFile) {
  console.error("usage: node extract_models.js NODE_MODULES_DIR OUT.json");
  process.exit(2);
}
const ts = require(path.join(nodeModules, "typescript"));
const packages = ["oci-core", "oci-identity", "oci-resourcesearch"];

// A type node as JSON: "string" | "number" | "boolean" | "any" | "date" | {array: T} |
// {map: T} | {ref: Name} | {oneOf: [Name...]} | {enumRef: "Owner.Enum"}.
function typeOf(node) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return "string";
    case ts.SyntaxKind.NumberKeyword: return "number";
    case ts.SyntaxKind.BooleanKeyword: return "boolean";
    case ts.SyntaxKind.AnyKeyword: return "any";
    case ts.SyntaxKind.ObjectKeyword: return "any";
    case ts.SyntaxKind.ArrayType: return { array: typeOf(node.elementType) };
    case ts.SyntaxKind.ParenthesizedType: return typeOf(node.type);
    case ts.SyntaxKind.TypeLiteral: {
      const index = node.members.find((m) => m.kind === ts.SyntaxKind.IndexSignature);
      if (index && node.members.length === 1) return { map: typeOf(index.type) };
      return "any";
    }
    case ts.SyntaxKind.UnionType: {
      const names = node.types.map(typeOf);
      if (names.every((t) => t && t.ref)) return { oneOf: names.map((t) => t.ref) };
      return "any";
    }
    case ts.SyntaxKind.TypeReference: {
      const name = node.typeName.getText();
      if (name === "Array" && node.typeArguments) return { array: typeOf(node.typeArguments[0]) };
      if (name === "Date") return "date";
      if (name.startsWith("model.")) {
        const rest = name.slice("model.".length);
        return rest.includes(".") ? { enumRef: rest } : { ref: rest };
      }
      return name.includes(".") ? { enumRef: name } : { ref: name };
    }
    default: return "any";
  }
}

function extract(pkg) {
  const dir = path.join(nodeModules, pkg, "lib", "model");
  const models = {};
  const enums = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".d.ts")).sort()) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2019, true);
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement)) {
        const model = { fields: {}, extends: [], discriminator: {} };
        for (const clause of statement.heritageClauses || []) {
          for (const t of clause.types) {
            model.extends.push(t.expression.getText().replace(/^model\./, ""));
          }
        }
        for (const member of statement.members) {
          if (!ts.isPropertySignature(member) || !member.type) continue;
          const name = member.name.text !== undefined ? member.name.text : member.name.getText();
          model.fields[name] = { required: !member.questionToken, type: typeOf(member.type) };
        }
        models[statement.name.text] = Object.assign(models[statement.name.text] || {}, model);
      } else if (ts.isModuleDeclaration(statement) && statement.body && statement.body.statements) {
        const owner = statement.name.text;
        for (const inner of statement.body.statements) {
          if (ts.isEnumDeclaration(inner)) {
            enums[`${owner}.${inner.name.text}`] = inner.members
              .map((m) => (m.initializer && ts.isStringLiteral(m.initializer)
                ? m.initializer.text : null))
              .filter((v) => v !== null);
          } else if (ts.isVariableStatement(inner)) {
            // `const sourceType = "image";`: the discriminator value of a polymorphic subtype.
            for (const decl of inner.declarationList.declarations) {
              const value = decl.type && ts.isLiteralTypeNode(decl.type) ? decl.type.literal
                : decl.initializer;
              if (value && ts.isStringLiteral(value)) {
                models[owner] = models[owner] || { fields: {}, extends: [], discriminator: {} };
                models[owner].discriminator[decl.name.getText()] = value.text;
              }
            }
          }
        }
      }
    }
  }
  const manifest = path.join(nodeModules, pkg, "package.json");
  const version = JSON.parse(fs.readFileSync(manifest, "utf8")).version;
  return { version, models, enums };
}

const out = {};
for (const pkg of packages) out[pkg] = extract(pkg);
fs.writeFileSync(outFile + ".tmp", JSON.stringify(out));
fs.renameSync(outFile + ".tmp", outFile);
for (const pkg of packages) {
  console.log(`${pkg} ${out[pkg].version}: ${Object.keys(out[pkg].models).length} models, ` +
              `${Object.keys(out[pkg].enums).length} enums`);
}
