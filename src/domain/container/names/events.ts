/**
 * Stream `container-name-<name>`: the registry that gives a name to one container at a time.
 * Creating a container claims its name in the same transaction (expected version), removing it
 * releases the name.
 */
export type ContainerNameClaimed = {
  type: 'ContainerNameClaimed';
  data: { name: string; containerId: string };
};
export type ContainerNameReleased = {
  type: 'ContainerNameReleased';
  data: { name: string; containerId: string };
};

export type ContainerNameEvent = ContainerNameClaimed | ContainerNameReleased;

export const containerNameEventSchemaVersions: Record<ContainerNameEvent['type'], number> = {
  ContainerNameClaimed: 1,
  ContainerNameReleased: 1,
};
