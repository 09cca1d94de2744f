package org.didmeta.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * DidService manages scopes, DIDs and the attachment hierarchy.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class DidServiceGrpc {

  private DidServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "didmeta.v1.DidService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.AddScopeRequest,
      org.didmeta.v1.AddScopeResponse> getAddScopeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "AddScope",
      requestType = org.didmeta.v1.AddScopeRequest.class,
      responseType = org.didmeta.v1.AddScopeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.AddScopeRequest,
      org.didmeta.v1.AddScopeResponse> getAddScopeMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.AddScopeRequest, org.didmeta.v1.AddScopeResponse> getAddScopeMethod;
    if ((getAddScopeMethod = DidServiceGrpc.getAddScopeMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getAddScopeMethod = DidServiceGrpc.getAddScopeMethod) == null) {
          DidServiceGrpc.getAddScopeMethod = getAddScopeMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.AddScopeRequest, org.didmeta.v1.AddScopeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "AddScope"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.AddScopeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.AddScopeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("AddScope"))
              .build();
        }
      }
    }
    return getAddScopeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListScopesRequest,
      org.didmeta.v1.ListScopesResponse> getListScopesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListScopes",
      requestType = org.didmeta.v1.ListScopesRequest.class,
      responseType = org.didmeta.v1.ListScopesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListScopesRequest,
      org.didmeta.v1.ListScopesResponse> getListScopesMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListScopesRequest, org.didmeta.v1.ListScopesResponse> getListScopesMethod;
    if ((getListScopesMethod = DidServiceGrpc.getListScopesMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getListScopesMethod = DidServiceGrpc.getListScopesMethod) == null) {
          DidServiceGrpc.getListScopesMethod = getListScopesMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListScopesRequest, org.didmeta.v1.ListScopesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListScopes"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListScopesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListScopesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("ListScopes"))
              .build();
        }
      }
    }
    return getListScopesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.AddDidsRequest,
      org.didmeta.v1.AddDidsResponse> getAddDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "AddDids",
      requestType = org.didmeta.v1.AddDidsRequest.class,
      responseType = org.didmeta.v1.AddDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.AddDidsRequest,
      org.didmeta.v1.AddDidsResponse> getAddDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.AddDidsRequest, org.didmeta.v1.AddDidsResponse> getAddDidsMethod;
    if ((getAddDidsMethod = DidServiceGrpc.getAddDidsMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getAddDidsMethod = DidServiceGrpc.getAddDidsMethod) == null) {
          DidServiceGrpc.getAddDidsMethod = getAddDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.AddDidsRequest, org.didmeta.v1.AddDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "AddDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.AddDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.AddDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("AddDids"))
              .build();
        }
      }
    }
    return getAddDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.GetDidRequest,
      org.didmeta.v1.GetDidResponse> getGetDidMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetDid",
      requestType = org.didmeta.v1.GetDidRequest.class,
      responseType = org.didmeta.v1.GetDidResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.GetDidRequest,
      org.didmeta.v1.GetDidResponse> getGetDidMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.GetDidRequest, org.didmeta.v1.GetDidResponse> getGetDidMethod;
    if ((getGetDidMethod = DidServiceGrpc.getGetDidMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getGetDidMethod = DidServiceGrpc.getGetDidMethod) == null) {
          DidServiceGrpc.getGetDidMethod = getGetDidMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.GetDidRequest, org.didmeta.v1.GetDidResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetDid"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetDidRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetDidResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("GetDid"))
              .build();
        }
      }
    }
    return getGetDidMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.AttachDidsRequest,
      org.didmeta.v1.AttachDidsResponse> getAttachDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "AttachDids",
      requestType = org.didmeta.v1.AttachDidsRequest.class,
      responseType = org.didmeta.v1.AttachDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.AttachDidsRequest,
      org.didmeta.v1.AttachDidsResponse> getAttachDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.AttachDidsRequest, org.didmeta.v1.AttachDidsResponse> getAttachDidsMethod;
    if ((getAttachDidsMethod = DidServiceGrpc.getAttachDidsMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getAttachDidsMethod = DidServiceGrpc.getAttachDidsMethod) == null) {
          DidServiceGrpc.getAttachDidsMethod = getAttachDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.AttachDidsRequest, org.didmeta.v1.AttachDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "AttachDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.AttachDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.AttachDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("AttachDids"))
              .build();
        }
      }
    }
    return getAttachDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.DetachDidsRequest,
      org.didmeta.v1.DetachDidsResponse> getDetachDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DetachDids",
      requestType = org.didmeta.v1.DetachDidsRequest.class,
      responseType = org.didmeta.v1.DetachDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.DetachDidsRequest,
      org.didmeta.v1.DetachDidsResponse> getDetachDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.DetachDidsRequest, org.didmeta.v1.DetachDidsResponse> getDetachDidsMethod;
    if ((getDetachDidsMethod = DidServiceGrpc.getDetachDidsMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getDetachDidsMethod = DidServiceGrpc.getDetachDidsMethod) == null) {
          DidServiceGrpc.getDetachDidsMethod = getDetachDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.DetachDidsRequest, org.didmeta.v1.DetachDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DetachDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DetachDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DetachDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("DetachDids"))
              .build();
        }
      }
    }
    return getDetachDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListContentRequest,
      org.didmeta.v1.ListContentResponse> getListContentMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListContent",
      requestType = org.didmeta.v1.ListContentRequest.class,
      responseType = org.didmeta.v1.ListContentResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListContentRequest,
      org.didmeta.v1.ListContentResponse> getListContentMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListContentRequest, org.didmeta.v1.ListContentResponse> getListContentMethod;
    if ((getListContentMethod = DidServiceGrpc.getListContentMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getListContentMethod = DidServiceGrpc.getListContentMethod) == null) {
          DidServiceGrpc.getListContentMethod = getListContentMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListContentRequest, org.didmeta.v1.ListContentResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListContent"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListContentRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListContentResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("ListContent"))
              .build();
        }
      }
    }
    return getListContentMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.SetDidStatusRequest,
      org.didmeta.v1.SetDidStatusResponse> getSetDidStatusMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetDidStatus",
      requestType = org.didmeta.v1.SetDidStatusRequest.class,
      responseType = org.didmeta.v1.SetDidStatusResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.SetDidStatusRequest,
      org.didmeta.v1.SetDidStatusResponse> getSetDidStatusMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.SetDidStatusRequest, org.didmeta.v1.SetDidStatusResponse> getSetDidStatusMethod;
    if ((getSetDidStatusMethod = DidServiceGrpc.getSetDidStatusMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getSetDidStatusMethod = DidServiceGrpc.getSetDidStatusMethod) == null) {
          DidServiceGrpc.getSetDidStatusMethod = getSetDidStatusMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.SetDidStatusRequest, org.didmeta.v1.SetDidStatusResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetDidStatus"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetDidStatusRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetDidStatusResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("SetDidStatus"))
              .build();
        }
      }
    }
    return getSetDidStatusMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.DeleteDidsRequest,
      org.didmeta.v1.DeleteDidsResponse> getDeleteDidsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteDids",
      requestType = org.didmeta.v1.DeleteDidsRequest.class,
      responseType = org.didmeta.v1.DeleteDidsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.DeleteDidsRequest,
      org.didmeta.v1.DeleteDidsResponse> getDeleteDidsMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.DeleteDidsRequest, org.didmeta.v1.DeleteDidsResponse> getDeleteDidsMethod;
    if ((getDeleteDidsMethod = DidServiceGrpc.getDeleteDidsMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getDeleteDidsMethod = DidServiceGrpc.getDeleteDidsMethod) == null) {
          DidServiceGrpc.getDeleteDidsMethod = getDeleteDidsMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.DeleteDidsRequest, org.didmeta.v1.DeleteDidsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteDids"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteDidsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.DeleteDidsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("DeleteDids"))
              .build();
        }
      }
    }
    return getDeleteDidsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.SetEmbargoRequest,
      org.didmeta.v1.SetEmbargoResponse> getSetEmbargoMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetEmbargo",
      requestType = org.didmeta.v1.SetEmbargoRequest.class,
      responseType = org.didmeta.v1.SetEmbargoResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.SetEmbargoRequest,
      org.didmeta.v1.SetEmbargoResponse> getSetEmbargoMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.SetEmbargoRequest, org.didmeta.v1.SetEmbargoResponse> getSetEmbargoMethod;
    if ((getSetEmbargoMethod = DidServiceGrpc.getSetEmbargoMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getSetEmbargoMethod = DidServiceGrpc.getSetEmbargoMethod) == null) {
          DidServiceGrpc.getSetEmbargoMethod = getSetEmbargoMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.SetEmbargoRequest, org.didmeta.v1.SetEmbargoResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetEmbargo"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetEmbargoRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.SetEmbargoResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("SetEmbargo"))
              .build();
        }
      }
    }
    return getSetEmbargoMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ClearEmbargoRequest,
      org.didmeta.v1.ClearEmbargoResponse> getClearEmbargoMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ClearEmbargo",
      requestType = org.didmeta.v1.ClearEmbargoRequest.class,
      responseType = org.didmeta.v1.ClearEmbargoResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ClearEmbargoRequest,
      org.didmeta.v1.ClearEmbargoResponse> getClearEmbargoMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ClearEmbargoRequest, org.didmeta.v1.ClearEmbargoResponse> getClearEmbargoMethod;
    if ((getClearEmbargoMethod = DidServiceGrpc.getClearEmbargoMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getClearEmbargoMethod = DidServiceGrpc.getClearEmbargoMethod) == null) {
          DidServiceGrpc.getClearEmbargoMethod = getClearEmbargoMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ClearEmbargoRequest, org.didmeta.v1.ClearEmbargoResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ClearEmbargo"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ClearEmbargoRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ClearEmbargoResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("ClearEmbargo"))
              .build();
        }
      }
    }
    return getClearEmbargoMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.GetEmbargoRequest,
      org.didmeta.v1.GetEmbargoResponse> getGetEmbargoMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetEmbargo",
      requestType = org.didmeta.v1.GetEmbargoRequest.class,
      responseType = org.didmeta.v1.GetEmbargoResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.GetEmbargoRequest,
      org.didmeta.v1.GetEmbargoResponse> getGetEmbargoMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.GetEmbargoRequest, org.didmeta.v1.GetEmbargoResponse> getGetEmbargoMethod;
    if ((getGetEmbargoMethod = DidServiceGrpc.getGetEmbargoMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getGetEmbargoMethod = DidServiceGrpc.getGetEmbargoMethod) == null) {
          DidServiceGrpc.getGetEmbargoMethod = getGetEmbargoMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.GetEmbargoRequest, org.didmeta.v1.GetEmbargoResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetEmbargo"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetEmbargoRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.GetEmbargoResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("GetEmbargo"))
              .build();
        }
      }
    }
    return getGetEmbargoMethod;
  }

  private static volatile io.grpc.MethodDescriptor<org.didmeta.v1.ListHistoryRequest,
      org.didmeta.v1.ListHistoryResponse> getListHistoryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListHistory",
      requestType = org.didmeta.v1.ListHistoryRequest.class,
      responseType = org.didmeta.v1.ListHistoryResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<org.didmeta.v1.ListHistoryRequest,
      org.didmeta.v1.ListHistoryResponse> getListHistoryMethod() {
    io.grpc.MethodDescriptor<org.didmeta.v1.ListHistoryRequest, org.didmeta.v1.ListHistoryResponse> getListHistoryMethod;
    if ((getListHistoryMethod = DidServiceGrpc.getListHistoryMethod) == null) {
      synchronized (DidServiceGrpc.class) {
        if ((getListHistoryMethod = DidServiceGrpc.getListHistoryMethod) == null) {
          DidServiceGrpc.getListHistoryMethod = getListHistoryMethod =
              io.grpc.MethodDescriptor.<org.didmeta.v1.ListHistoryRequest, org.didmeta.v1.ListHistoryResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListHistory"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListHistoryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  org.didmeta.v1.ListHistoryResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DidServiceMethodDescriptorSupplier("ListHistory"))
              .build();
        }
      }
    }
    return getListHistoryMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static DidServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DidServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DidServiceStub>() {
        @java.lang.Override
        public DidServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DidServiceStub(channel, callOptions);
        }
      };
    return DidServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static DidServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DidServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DidServiceBlockingV2Stub>() {
        @java.lang.Override
        public DidServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DidServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return DidServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static DidServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DidServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DidServiceBlockingStub>() {
        @java.lang.Override
        public DidServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DidServiceBlockingStub(channel, callOptions);
        }
      };
    return DidServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static DidServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DidServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DidServiceFutureStub>() {
        @java.lang.Override
        public DidServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DidServiceFutureStub(channel, callOptions);
        }
      };
    return DidServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * DidService manages scopes, DIDs and the attachment hierarchy.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * AddScope creates a scope. ALREADY_EXISTS if it exists.
     * </pre>
     */
    default void addScope(org.didmeta.v1.AddScopeRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.AddScopeResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getAddScopeMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListScopes lists the scopes, sorted by name.
     * </pre>
     */
    default void listScopes(org.didmeta.v1.ListScopesRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListScopesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListScopesMethod(), responseObserver);
    }

    /**
     * <pre>
     * AddDids creates DIDs (with optional initial metadata) atomically.
     * </pre>
     */
    default void addDids(org.didmeta.v1.AddDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.AddDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getAddDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetDid returns one DID with its intrinsic attributes.
     * </pre>
     */
    default void getDid(org.didmeta.v1.GetDidRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetDidResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetDidMethod(), responseObserver);
    }

    /**
     * <pre>
     * AttachDids attaches children to collections atomically.
     * </pre>
     */
    default void attachDids(org.didmeta.v1.AttachDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.AttachDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getAttachDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * DetachDids detaches children from collections atomically.
     * </pre>
     */
    default void detachDids(org.didmeta.v1.DetachDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DetachDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDetachDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListContent streams the direct children of a collection, in (scope, name) order.
     * </pre>
     */
    default void listContent(org.didmeta.v1.ListContentRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListContentResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListContentMethod(), responseObserver);
    }

    /**
     * <pre>
     * SetDidStatus closes or reopens a collection.
     * </pre>
     */
    default void setDidStatus(org.didmeta.v1.SetDidStatusRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetDidStatusResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetDidStatusMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteDids deletes DIDs, their attachments and their metadata in every backend.
     * </pre>
     */
    default void deleteDids(org.didmeta.v1.DeleteDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteDidsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteDidsMethod(), responseObserver);
    }

    /**
     * <pre>
     * SetEmbargo hides a DID (and with `recursive` everything below it) until a time from
     * everyone but admins, the scope's owner and holders of didmeta.embargo.read on the scope.
     * Replaces an existing embargo of the DID. INVALID_ARGUMENT if `until` is not in the future.
     * </pre>
     */
    default void setEmbargo(org.didmeta.v1.SetEmbargoRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetEmbargoResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetEmbargoMethod(), responseObserver);
    }

    /**
     * <pre>
     * ClearEmbargo lifts a DID's embargo at once (no error if it has none).
     * </pre>
     */
    default void clearEmbargo(org.didmeta.v1.ClearEmbargoRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ClearEmbargoResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getClearEmbargoMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetEmbargo returns a DID's embargo, if any (also an expired one that was not cleared).
     * </pre>
     */
    default void getEmbargo(org.didmeta.v1.GetEmbargoRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetEmbargoResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetEmbargoMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListHistory streams a DID's audit history, oldest first, in batches.
     * </pre>
     */
    default void listHistory(org.didmeta.v1.ListHistoryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListHistoryResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListHistoryMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service DidService.
   * <pre>
   * DidService manages scopes, DIDs and the attachment hierarchy.
   * </pre>
   */
  public static abstract class DidServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return DidServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service DidService.
   * <pre>
   * DidService manages scopes, DIDs and the attachment hierarchy.
   * </pre>
   */
  public static final class DidServiceStub
      extends io.grpc.stub.AbstractAsyncStub<DidServiceStub> {
    private DidServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DidServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DidServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * AddScope creates a scope. ALREADY_EXISTS if it exists.
     * </pre>
     */
    public void addScope(org.didmeta.v1.AddScopeRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.AddScopeResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getAddScopeMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListScopes lists the scopes, sorted by name.
     * </pre>
     */
    public void listScopes(org.didmeta.v1.ListScopesRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListScopesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListScopesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * AddDids creates DIDs (with optional initial metadata) atomically.
     * </pre>
     */
    public void addDids(org.didmeta.v1.AddDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.AddDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getAddDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetDid returns one DID with its intrinsic attributes.
     * </pre>
     */
    public void getDid(org.didmeta.v1.GetDidRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetDidResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetDidMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * AttachDids attaches children to collections atomically.
     * </pre>
     */
    public void attachDids(org.didmeta.v1.AttachDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.AttachDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getAttachDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DetachDids detaches children from collections atomically.
     * </pre>
     */
    public void detachDids(org.didmeta.v1.DetachDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DetachDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDetachDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListContent streams the direct children of a collection, in (scope, name) order.
     * </pre>
     */
    public void listContent(org.didmeta.v1.ListContentRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListContentResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getListContentMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SetDidStatus closes or reopens a collection.
     * </pre>
     */
    public void setDidStatus(org.didmeta.v1.SetDidStatusRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetDidStatusResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetDidStatusMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteDids deletes DIDs, their attachments and their metadata in every backend.
     * </pre>
     */
    public void deleteDids(org.didmeta.v1.DeleteDidsRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteDidsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteDidsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SetEmbargo hides a DID (and with `recursive` everything below it) until a time from
     * everyone but admins, the scope's owner and holders of didmeta.embargo.read on the scope.
     * Replaces an existing embargo of the DID. INVALID_ARGUMENT if `until` is not in the future.
     * </pre>
     */
    public void setEmbargo(org.didmeta.v1.SetEmbargoRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.SetEmbargoResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetEmbargoMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ClearEmbargo lifts a DID's embargo at once (no error if it has none).
     * </pre>
     */
    public void clearEmbargo(org.didmeta.v1.ClearEmbargoRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ClearEmbargoResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getClearEmbargoMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetEmbargo returns a DID's embargo, if any (also an expired one that was not cleared).
     * </pre>
     */
    public void getEmbargo(org.didmeta.v1.GetEmbargoRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.GetEmbargoResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetEmbargoMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListHistory streams a DID's audit history, oldest first, in batches.
     * </pre>
     */
    public void listHistory(org.didmeta.v1.ListHistoryRequest request,
        io.grpc.stub.StreamObserver<org.didmeta.v1.ListHistoryResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getListHistoryMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service DidService.
   * <pre>
   * DidService manages scopes, DIDs and the attachment hierarchy.
   * </pre>
   */
  public static final class DidServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<DidServiceBlockingV2Stub> {
    private DidServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DidServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DidServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * AddScope creates a scope. ALREADY_EXISTS if it exists.
     * </pre>
     */
    public org.didmeta.v1.AddScopeResponse addScope(org.didmeta.v1.AddScopeRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getAddScopeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListScopes lists the scopes, sorted by name.
     * </pre>
     */
    public org.didmeta.v1.ListScopesResponse listScopes(org.didmeta.v1.ListScopesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListScopesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * AddDids creates DIDs (with optional initial metadata) atomically.
     * </pre>
     */
    public org.didmeta.v1.AddDidsResponse addDids(org.didmeta.v1.AddDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getAddDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetDid returns one DID with its intrinsic attributes.
     * </pre>
     */
    public org.didmeta.v1.GetDidResponse getDid(org.didmeta.v1.GetDidRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetDidMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * AttachDids attaches children to collections atomically.
     * </pre>
     */
    public org.didmeta.v1.AttachDidsResponse attachDids(org.didmeta.v1.AttachDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getAttachDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DetachDids detaches children from collections atomically.
     * </pre>
     */
    public org.didmeta.v1.DetachDidsResponse detachDids(org.didmeta.v1.DetachDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDetachDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListContent streams the direct children of a collection, in (scope, name) order.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, org.didmeta.v1.ListContentResponse>
        listContent(org.didmeta.v1.ListContentRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getListContentMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetDidStatus closes or reopens a collection.
     * </pre>
     */
    public org.didmeta.v1.SetDidStatusResponse setDidStatus(org.didmeta.v1.SetDidStatusRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetDidStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteDids deletes DIDs, their attachments and their metadata in every backend.
     * </pre>
     */
    public org.didmeta.v1.DeleteDidsResponse deleteDids(org.didmeta.v1.DeleteDidsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetEmbargo hides a DID (and with `recursive` everything below it) until a time from
     * everyone but admins, the scope's owner and holders of didmeta.embargo.read on the scope.
     * Replaces an existing embargo of the DID. INVALID_ARGUMENT if `until` is not in the future.
     * </pre>
     */
    public org.didmeta.v1.SetEmbargoResponse setEmbargo(org.didmeta.v1.SetEmbargoRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetEmbargoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ClearEmbargo lifts a DID's embargo at once (no error if it has none).
     * </pre>
     */
    public org.didmeta.v1.ClearEmbargoResponse clearEmbargo(org.didmeta.v1.ClearEmbargoRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getClearEmbargoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetEmbargo returns a DID's embargo, if any (also an expired one that was not cleared).
     * </pre>
     */
    public org.didmeta.v1.GetEmbargoResponse getEmbargo(org.didmeta.v1.GetEmbargoRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetEmbargoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListHistory streams a DID's audit history, oldest first, in batches.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, org.didmeta.v1.ListHistoryResponse>
        listHistory(org.didmeta.v1.ListHistoryRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getListHistoryMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service DidService.
   * <pre>
   * DidService manages scopes, DIDs and the attachment hierarchy.
   * </pre>
   */
  public static final class DidServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<DidServiceBlockingStub> {
    private DidServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DidServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DidServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * AddScope creates a scope. ALREADY_EXISTS if it exists.
     * </pre>
     */
    public org.didmeta.v1.AddScopeResponse addScope(org.didmeta.v1.AddScopeRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getAddScopeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListScopes lists the scopes, sorted by name.
     * </pre>
     */
    public org.didmeta.v1.ListScopesResponse listScopes(org.didmeta.v1.ListScopesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListScopesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * AddDids creates DIDs (with optional initial metadata) atomically.
     * </pre>
     */
    public org.didmeta.v1.AddDidsResponse addDids(org.didmeta.v1.AddDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getAddDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetDid returns one DID with its intrinsic attributes.
     * </pre>
     */
    public org.didmeta.v1.GetDidResponse getDid(org.didmeta.v1.GetDidRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetDidMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * AttachDids attaches children to collections atomically.
     * </pre>
     */
    public org.didmeta.v1.AttachDidsResponse attachDids(org.didmeta.v1.AttachDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getAttachDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DetachDids detaches children from collections atomically.
     * </pre>
     */
    public org.didmeta.v1.DetachDidsResponse detachDids(org.didmeta.v1.DetachDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDetachDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListContent streams the direct children of a collection, in (scope, name) order.
     * </pre>
     */
    public java.util.Iterator<org.didmeta.v1.ListContentResponse> listContent(
        org.didmeta.v1.ListContentRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getListContentMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetDidStatus closes or reopens a collection.
     * </pre>
     */
    public org.didmeta.v1.SetDidStatusResponse setDidStatus(org.didmeta.v1.SetDidStatusRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetDidStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteDids deletes DIDs, their attachments and their metadata in every backend.
     * </pre>
     */
    public org.didmeta.v1.DeleteDidsResponse deleteDids(org.didmeta.v1.DeleteDidsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteDidsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetEmbargo hides a DID (and with `recursive` everything below it) until a time from
     * everyone but admins, the scope's owner and holders of didmeta.embargo.read on the scope.
     * Replaces an existing embargo of the DID. INVALID_ARGUMENT if `until` is not in the future.
     * </pre>
     */
    public org.didmeta.v1.SetEmbargoResponse setEmbargo(org.didmeta.v1.SetEmbargoRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetEmbargoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ClearEmbargo lifts a DID's embargo at once (no error if it has none).
     * </pre>
     */
    public org.didmeta.v1.ClearEmbargoResponse clearEmbargo(org.didmeta.v1.ClearEmbargoRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getClearEmbargoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetEmbargo returns a DID's embargo, if any (also an expired one that was not cleared).
     * </pre>
     */
    public org.didmeta.v1.GetEmbargoResponse getEmbargo(org.didmeta.v1.GetEmbargoRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetEmbargoMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListHistory streams a DID's audit history, oldest first, in batches.
     * </pre>
     */
    public java.util.Iterator<org.didmeta.v1.ListHistoryResponse> listHistory(
        org.didmeta.v1.ListHistoryRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getListHistoryMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service DidService.
   * <pre>
   * DidService manages scopes, DIDs and the attachment hierarchy.
   * </pre>
   */
  public static final class DidServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<DidServiceFutureStub> {
    private DidServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DidServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DidServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * AddScope creates a scope. ALREADY_EXISTS if it exists.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.AddScopeResponse> addScope(
        org.didmeta.v1.AddScopeRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getAddScopeMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListScopes lists the scopes, sorted by name.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.ListScopesResponse> listScopes(
        org.didmeta.v1.ListScopesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListScopesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * AddDids creates DIDs (with optional initial metadata) atomically.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.AddDidsResponse> addDids(
        org.didmeta.v1.AddDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getAddDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetDid returns one DID with its intrinsic attributes.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.GetDidResponse> getDid(
        org.didmeta.v1.GetDidRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetDidMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * AttachDids attaches children to collections atomically.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.AttachDidsResponse> attachDids(
        org.didmeta.v1.AttachDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getAttachDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DetachDids detaches children from collections atomically.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.DetachDidsResponse> detachDids(
        org.didmeta.v1.DetachDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDetachDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SetDidStatus closes or reopens a collection.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.SetDidStatusResponse> setDidStatus(
        org.didmeta.v1.SetDidStatusRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetDidStatusMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteDids deletes DIDs, their attachments and their metadata in every backend.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.DeleteDidsResponse> deleteDids(
        org.didmeta.v1.DeleteDidsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteDidsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SetEmbargo hides a DID (and with `recursive` everything below it) until a time from
     * everyone but admins, the scope's owner and holders of didmeta.embargo.read on the scope.
     * Replaces an existing embargo of the DID. INVALID_ARGUMENT if `until` is not in the future.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.SetEmbargoResponse> setEmbargo(
        org.didmeta.v1.SetEmbargoRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetEmbargoMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ClearEmbargo lifts a DID's embargo at once (no error if it has none).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.ClearEmbargoResponse> clearEmbargo(
        org.didmeta.v1.ClearEmbargoRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getClearEmbargoMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetEmbargo returns a DID's embargo, if any (also an expired one that was not cleared).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<org.didmeta.v1.GetEmbargoResponse> getEmbargo(
        org.didmeta.v1.GetEmbargoRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetEmbargoMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_ADD_SCOPE = 0;
  private static final int METHODID_LIST_SCOPES = 1;
  private static final int METHODID_ADD_DIDS = 2;
  private static final int METHODID_GET_DID = 3;
  private static final int METHODID_ATTACH_DIDS = 4;
  private static final int METHODID_DETACH_DIDS = 5;
  private static final int METHODID_LIST_CONTENT = 6;
  private static final int METHODID_SET_DID_STATUS = 7;
  private static final int METHODID_DELETE_DIDS = 8;
  private static final int METHODID_SET_EMBARGO = 9;
  private static final int METHODID_CLEAR_EMBARGO = 10;
  private static final int METHODID_GET_EMBARGO = 11;
  private static final int METHODID_LIST_HISTORY = 12;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_ADD_SCOPE:
          serviceImpl.addScope((org.didmeta.v1.AddScopeRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.AddScopeResponse>) responseObserver);
          break;
        case METHODID_LIST_SCOPES:
          serviceImpl.listScopes((org.didmeta.v1.ListScopesRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListScopesResponse>) responseObserver);
          break;
        case METHODID_ADD_DIDS:
          serviceImpl.addDids((org.didmeta.v1.AddDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.AddDidsResponse>) responseObserver);
          break;
        case METHODID_GET_DID:
          serviceImpl.getDid((org.didmeta.v1.GetDidRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.GetDidResponse>) responseObserver);
          break;
        case METHODID_ATTACH_DIDS:
          serviceImpl.attachDids((org.didmeta.v1.AttachDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.AttachDidsResponse>) responseObserver);
          break;
        case METHODID_DETACH_DIDS:
          serviceImpl.detachDids((org.didmeta.v1.DetachDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.DetachDidsResponse>) responseObserver);
          break;
        case METHODID_LIST_CONTENT:
          serviceImpl.listContent((org.didmeta.v1.ListContentRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListContentResponse>) responseObserver);
          break;
        case METHODID_SET_DID_STATUS:
          serviceImpl.setDidStatus((org.didmeta.v1.SetDidStatusRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.SetDidStatusResponse>) responseObserver);
          break;
        case METHODID_DELETE_DIDS:
          serviceImpl.deleteDids((org.didmeta.v1.DeleteDidsRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.DeleteDidsResponse>) responseObserver);
          break;
        case METHODID_SET_EMBARGO:
          serviceImpl.setEmbargo((org.didmeta.v1.SetEmbargoRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.SetEmbargoResponse>) responseObserver);
          break;
        case METHODID_CLEAR_EMBARGO:
          serviceImpl.clearEmbargo((org.didmeta.v1.ClearEmbargoRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ClearEmbargoResponse>) responseObserver);
          break;
        case METHODID_GET_EMBARGO:
          serviceImpl.getEmbargo((org.didmeta.v1.GetEmbargoRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.GetEmbargoResponse>) responseObserver);
          break;
        case METHODID_LIST_HISTORY:
          serviceImpl.listHistory((org.didmeta.v1.ListHistoryRequest) request,
              (io.grpc.stub.StreamObserver<org.didmeta.v1.ListHistoryResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getAddScopeMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.AddScopeRequest,
              org.didmeta.v1.AddScopeResponse>(
                service, METHODID_ADD_SCOPE)))
        .addMethod(
          getListScopesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.ListScopesRequest,
              org.didmeta.v1.ListScopesResponse>(
                service, METHODID_LIST_SCOPES)))
        .addMethod(
          getAddDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.AddDidsRequest,
              org.didmeta.v1.AddDidsResponse>(
                service, METHODID_ADD_DIDS)))
        .addMethod(
          getGetDidMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.GetDidRequest,
              org.didmeta.v1.GetDidResponse>(
                service, METHODID_GET_DID)))
        .addMethod(
          getAttachDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.AttachDidsRequest,
              org.didmeta.v1.AttachDidsResponse>(
                service, METHODID_ATTACH_DIDS)))
        .addMethod(
          getDetachDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.DetachDidsRequest,
              org.didmeta.v1.DetachDidsResponse>(
                service, METHODID_DETACH_DIDS)))
        .addMethod(
          getListContentMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              org.didmeta.v1.ListContentRequest,
              org.didmeta.v1.ListContentResponse>(
                service, METHODID_LIST_CONTENT)))
        .addMethod(
          getSetDidStatusMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.SetDidStatusRequest,
              org.didmeta.v1.SetDidStatusResponse>(
                service, METHODID_SET_DID_STATUS)))
        .addMethod(
          getDeleteDidsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.DeleteDidsRequest,
              org.didmeta.v1.DeleteDidsResponse>(
                service, METHODID_DELETE_DIDS)))
        .addMethod(
          getSetEmbargoMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.SetEmbargoRequest,
              org.didmeta.v1.SetEmbargoResponse>(
                service, METHODID_SET_EMBARGO)))
        .addMethod(
          getClearEmbargoMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.ClearEmbargoRequest,
              org.didmeta.v1.ClearEmbargoResponse>(
                service, METHODID_CLEAR_EMBARGO)))
        .addMethod(
          getGetEmbargoMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              org.didmeta.v1.GetEmbargoRequest,
              org.didmeta.v1.GetEmbargoResponse>(
                service, METHODID_GET_EMBARGO)))
        .addMethod(
          getListHistoryMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              org.didmeta.v1.ListHistoryRequest,
              org.didmeta.v1.ListHistoryResponse>(
                service, METHODID_LIST_HISTORY)))
        .build();
  }

  private static abstract class DidServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    DidServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return org.didmeta.v1.DidServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("DidService");
    }
  }

  private static final class DidServiceFileDescriptorSupplier
      extends DidServiceBaseDescriptorSupplier {
    DidServiceFileDescriptorSupplier() {}
  }

  private static final class DidServiceMethodDescriptorSupplier
      extends DidServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    DidServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (DidServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new DidServiceFileDescriptorSupplier())
              .addMethod(getAddScopeMethod())
              .addMethod(getListScopesMethod())
              .addMethod(getAddDidsMethod())
              .addMethod(getGetDidMethod())
              .addMethod(getAttachDidsMethod())
              .addMethod(getDetachDidsMethod())
              .addMethod(getListContentMethod())
              .addMethod(getSetDidStatusMethod())
              .addMethod(getDeleteDidsMethod())
              .addMethod(getSetEmbargoMethod())
              .addMethod(getClearEmbargoMethod())
              .addMethod(getGetEmbargoMethod())
              .addMethod(getListHistoryMethod())
              .build();
        }
      }
    }
    return result;
  }
}
