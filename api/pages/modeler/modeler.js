// The 流程设计 modeler, bundled by tools/build_designer.mjs: bpmn-js with the Camunda 7 properties panel
// (every camunda:* attribute and the extension properties the engine reads) and bpmnlint's recommended
// rules from .bpmnlintrc. The page script (static/designer.js) drives it through window.DesignerKit.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import {
  BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import bpmnlintConfig from 'bpmnlint-config';

function createModeler(container, propertiesParent) {
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: propertiesParent },
    linting: { bpmnlint: bpmnlintConfig, active: true },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule, CamundaBehaviorsModule, lintModule],
    moddleExtensions: { camunda: camundaModdle }
  });
}

function createViewer(container) {
  return new NavigatedViewer({ container, moddleExtensions: { camunda: camundaModdle } });
}

window.DesignerKit = { createModeler, createViewer };
