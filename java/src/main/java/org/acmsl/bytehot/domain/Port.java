package org.acmsl.bytehot.domain;

/**
 * Marker for the interfaces through which the domain reaches the outside world
 * (hexagonal architecture): the domain declares ports, infrastructure adapters implement them.
 */
public interface Port {
}
