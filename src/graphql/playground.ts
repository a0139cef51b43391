/**
 * What GraphiQL (GET /graphql in a browser) opens with when the browser has no saved tabs: the
 * Docker story, one named operation per step. test/graphql/playground.e2e.test.ts runs every
 * operation of this document in order, so it cannot rot.
 */
export const defaultQuery = `# Welcome to Strata: Docker images and containers as event-sourced layered filesystems.
# Pick an operation with the ▶ button, top to bottom: it is the Docker story, with time travel.
# With access tokens configured, add a header: {"Authorization": "Bearer <token>"}

# 1. Pull an image (e.g. "busybox", or "localhost:5000/app:v1" from a local registry).
mutation Pull {
  pullImage(ref: "busybox") {
    __typename
    ... on MutationPullImageSuccess { data { status layers { digest status } image { repoTags } } }
    ... on Error { code message }
  }
}

# 2. Create a container: its own writable layer over the image.
mutation Create {
  createContainer(image: "busybox", name: "demo") {
    __typename
    ... on MutationCreateContainerSuccess { data { containerId name state } }
    ... on Error { code message }
  }
}

mutation Start {
  startContainer(container: "demo") { __typename ... on Error { code message } }
}

# 3. Write a file (like docker cp; exec runs a shell command line the same way).
mutation Write {
  writeFile(container: "demo", path: "/root/hello.txt", content: "hello, layers\\n") {
    __typename
    ... on MutationWriteFileSuccess { data { path size origin { position } } }
    ... on Error { code message }
  }
}

# 4. Restart: the writable layer survives.
mutation Restart {
  restartContainer(container: "demo") { __typename ... on Error { code message } }
}

# 5. Read it back, with what changed against the image (docker diff) and where each version came from.
query ReadBack {
  head
  container(ref: "demo") {
    state
    file(path: "/root/hello.txt") { content origin { position operation } }
    changes { kind path }
    blame(path: "/root/hello.txt") { position operation }
  }
}

# 6. Time travel: the same container as of any earlier position (try the position of step 3, minus 1).
query AsOf($position: Position = 1) {
  container(ref: "demo", asOf: $position) {
    state
    file(path: "/root/hello.txt") { content }
  }
}

# 7. What is stored, shared and unique (docker system df -v), and the event log itself.
query Usage {
  diskUsage { layersSize storedBytes images { image { repoTags } size sharedSize uniqueSize } containers { container { name } sizeRw } }
  events(first: 20) { edges { node { position stream type } } }
}
`;
