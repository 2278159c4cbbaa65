package org.acmsl.bytehot.domain;

/**
 * Something that happened in the domain. Implementations are immutable values.
 */
public interface DomainEvent {
}
