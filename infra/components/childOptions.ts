import type * as pulumi from '@pulumi/pulumi';

/**
 * Options for the resources a child component creates: parented to the component, with an alias to the parent they
 * had before the program was split into components (the top-level ImageCatalogue). A resource's URN includes its
 * parent's type, so without the alias a stack deployed before the split would replace every resource on the next
 * `pulumi up`, the table and the buckets with their data included. Physical names derive from the logical names,
 * which did not change.
 */
export function childOptions(
  component: pulumi.ComponentResource,
  opts: pulumi.ComponentResourceOptions,
): pulumi.CustomResourceOptions {
  return { parent: component, aliases: opts.parent ? [{ parent: opts.parent }] : [] };
}
