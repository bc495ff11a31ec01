// Oracle's own TypeScript SDK (npm oci-common, oci-core, oci-identity, oci-resourcesearch)
// pointed at the OCI fake: it signs with its own signer, serialises with its own models and
// parses the fake's answers. Prints one JSON object of what it saw; exits 1 on any SDK error.
// Environment: OCI_FAKE_ENDPOINT, OCI_FAKE_KEY_FILE, OCI_FAKE_TENANCY, OCI_FAKE_USER,
// OCI_FAKE_FINGERPRINT, OCI_FAKE_COMPARTMENT, OCI_FAKE_RUN_ID; optional OCI_FAKE_PASSPHRASE (the
// key file's pass phrase, for an encrypted key) and OCI_FAKE_CREATE ("0": the SDK creates nothing,
// createdVcn is null, so what it lists is only what others made); NODE_PATH holds the packages
// and NODE_EXTRA_CA_CERTS the fake's test CA.
"use strict";
const fs = require("fs");
const common = require("oci-common");
const core = require("oci-core");
const identity = require("oci-identity");
const search = require("oci-resourcesearch");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function main() {
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
  const provider = new common.SimpleAuthenticationDetailsProvider(
    env("OCI_FAKE_TENANCY"), env("OCI_FAKE_USER"), env("OCI_FAKE_FINGERPRINT"),
    fs.readFileSync(env("OCI_FAKE_KEY_FILE"), "utf8"), process.env.OCI_FAKE_PASSPHRASE || null,
    common.Region.US_ASHBURN_1);
  const configuration = {
    retryConfiguration: { terminationStrategy: new common.MaxAttemptsTerminationStrategy(1) },
  };
  const endpoint = env("OCI_FAKE_ENDPOINT");
  const compartmentId = env("OCI_FAKE_COMPARTMENT");
  const runId = env("OCI_FAKE_RUN_ID");
  const auth = { authenticationDetailsProvider: provider };
  const clients = {
    network: new core.VirtualNetworkClient(auth, configuration),
    compute: new core.ComputeClient(auth, configuration),
    identity: new identity.IdentityClient(auth, configuration),
    search: new search.ResourceSearchClient(auth, configuration),
  };
  for (const client of Object.values(clients)) client.endpoint = endpoint;
  const out = {};

  // A create through the SDK: a signed POST with a body, a retry token, freeform tags.
  out.createdVcn = null;
  if (process.env.OCI_FAKE_CREATE !== "0") {
    const created = await clients.network.createVcn({
      createVcnDetails: { compartmentId, cidrBlocks: ["10.77.0.0/16"], displayName: "sdk-vcn",
                          freeformTags: { "routerd.cloudedge.run_id": runId } },
      opcRetryToken: `sdk-${runId}`,
    });
    out.createdVcn = created.vcn.id;
  }

  // Every VCN, one per page, following opc-next-page.
  out.vcns = [];
  let page;
  do {
    const answer = await clients.network.listVcns({ compartmentId, limit: 1, page });
    out.vcns.push(...answer.items.map((v) => ({ id: v.id, state: v.lifecycleState,
                                                tags: v.freeformTags })));
    page = answer.opcNextPage;
  } while (page);

  const instances = await clients.compute.listInstances({ compartmentId });
  out.instances = [];
  for (const instance of instances.items) {
    const attachments = await clients.compute.listVnicAttachments({
      compartmentId, instanceId: instance.id });
    const vnics = [];
    for (const attachment of attachments.items) {
      const vnic = await clients.network.getVnic({ vnicId: attachment.vnicId });
      vnics.push({ id: vnic.vnic.id, privateIp: vnic.vnic.privateIp,
                   skipSourceDestCheck: vnic.vnic.skipSourceDestCheck });
    }
    out.instances.push({ id: instance.id, state: instance.lifecycleState, vnics });
  }

  const domains = await clients.identity.listAvailabilityDomains({ compartmentId });
  out.availabilityDomains = domains.items.map((d) => d.name);
  const compartment = await clients.identity.getCompartment({ compartmentId });
  out.compartment = compartment.compartment.id;

  const found = await clients.search.searchResources({ searchDetails: {
    type: "Structured",
    query: `query all resources where (freeformTags.key = 'routerd.cloudedge.run_id' && ` +
           `freeformTags.value = '${runId}')` } });
  out.search = found.resourceSummaryCollection.items.map((s) => ({ id: s.identifier,
                                                                   type: s.resourceType }));

  // An error as the SDK sees it: status, service code, opc-request-id.
  try {
    await clients.network.getVcn({ vcnId: "ocid1.vcn.oc1.iad.doesnotexist" });
    out.notFound = null;
  } catch (err) {
    out.notFound = { status: err.statusCode, code: err.serviceCode,
                     requestId: Boolean(err.opcRequestId) };
  }
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  const what = err ? `${err.statusCode} ${err.serviceCode} ${err.message}` : "unknown";
  console.error(`SDK error: ${what}`);
  process.exit(1);
});
