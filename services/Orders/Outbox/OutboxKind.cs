namespace Orders.Outbox;

/// <summary>The <c>kind</c> column of an outbox row: what the relay does with it.</summary>
public static class OutboxKind
{
    /// <summary>Invoke order-workflow <c>POST sagas/orders/{orderId}</c> with the payload (an OrderSagaInput).</summary>
    public const string StartSaga = "start-saga";

    /// <summary>Publish the payload to topic <c>orders</c> as a CloudEvent of the row's event type, with the row's id.</summary>
    public const string Event = "event";
}
